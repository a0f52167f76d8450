// RouteSpec[] (text from the controller) -> the Adj-RIB-Out's desired table:
// each prefix parsed once, each next hop in canonical form and of the
// prefix's family (RFC 4271 §5.1.3 NEXT_HOP for IPv4, RFC 4760 MP_REACH_NLRI
// for IPv6). A route that cannot be advertised is logged and left out; the
// others are unaffected.
//
// The controller hands over the whole route list on every change, so the
// previous table is passed back in: a route whose prefix and next hop text
// are unchanged keeps its entry (no parsing, no new objects), and a change
// of one Node costs a map lookup per route instead of a parse per route.

import type Logger from 'bunyan';
import { OutRoute, type NextHop } from './adj-rib-out.js';
import { formatAddress, ipv4Number, parseAddress, parsePrefix } from './prefix.js';
import type { RouteSpec } from './types.js';


/** A desired table and what was learned building it, to pass to the next build. */
export interface RouteTable {
  readonly routes: Map<string, OutRoute>;
  /**
   * Input prefix text -> entry, for routes whose input text is not their
   * canonical key (the usual canonical text is looked up in `routes`).
   */
  readonly byText: Map<string, OutRoute>;
  /** Input next-hop text -> canonical form. */
  readonly nextHops: Map<string, NextHop>;
}

/** The entry made from this input prefix text, if any. */
function byInputText(table: RouteTable, text: string): OutRoute | undefined {
  const r = table.routes.get(text);
  return r !== undefined && r.prefix.key === text ? r : table.byText.get(text);
}

function newRoute(nh: NextHop, r: RouteSpec): OutRoute {
  // The caller's parsed prefix is kept when it is the one `prefix` names (the controller's pod CIDRs).
  const parsed = r.parsed;
  const prefix = parsed !== undefined && parsed.key === r.prefix ? parsed : parsePrefix(r.prefix);
  if (nh.afi !== prefix.afi) throw new Error(`next hop ${r.nextHop} is not of the family of ${r.prefix}`);
  return new OutRoute(prefix, nh);
}

/** Parses a next hop once per distinct text; throws an Error naming the text. */
function nextHopOf(text: string): NextHop {
  const a = parseAddress(text);
  const canonical = formatAddress(a.afi, a.bytes);
  return { afi: a.afi, text: canonical, v4: a.afi === 1 ? ipv4Number(canonical) : -1, packRound: 0, packFirst: null, packGroup: null };
}

/** Parses and checks routes; the later of two routes for one prefix wins. */
export function routeTable(routes: readonly RouteSpec[], log?: Logger, previous?: RouteTable): RouteTable {
  const table = new Map<string, OutRoute>();
  const byText = new Map<string, OutRoute>();
  const nextHops = new Map<string, NextHop>();
  // Consecutive routes usually share a next hop (one Node's pod CIDRs): no lookup then.
  let lastText: string | null = null;
  let last: NextHop | null = null;
  // Indexed, not for-of: this runs once per table, mostly before V8 optimises
  // it, and unoptimised for-of makes an iterator result per route.
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!;
    try {
      let nh: NextHop;
      if (r.nextHop === lastText) {
        nh = last!;
      } else {
        let found = nextHops.get(r.nextHop);
        if (!found) {
          found = previous?.nextHops.get(r.nextHop) ?? nextHopOf(r.nextHop);
          nextHops.set(r.nextHop, found);
        }
        nh = found;
        lastText = r.nextHop;
        last = nh;
      }
      const old = previous && byInputText(previous, r.prefix);
      if (old && old.nextHop === nh.text) {
        table.set(old.prefix.key, old);
        if (old.prefix.key !== r.prefix) byText.set(r.prefix, old);
        continue;
      }
      const route = newRoute(nh, r);
      table.set(route.prefix.key, route);
      if (route.prefix.key !== r.prefix) byText.set(r.prefix, route);
    } catch (err) {
      log?.warn({ prefix: r.prefix, nextHop: r.nextHop, problem: (err as Error).message }, 'route left out');
    }
  }
  return { routes: table, byText, nextHops };
}

/** Where two route lists differ: everything before `start` and after the common tail is equal. */
export interface RouteListDiff {
  readonly removed: readonly RouteSpec[];
  readonly added: readonly RouteSpec[];
}

// The controller hands over the same objects for unchanged routes: identity first.
const sameRoute = (a: RouteSpec, b: RouteSpec): boolean => a === b || (a.prefix === b.prefix && a.nextHop === b.nextHop);

/**
 * The routes removed and added between two lists, found by skipping their
 * common head and tail: a change of one Node leaves a small window in the
 * middle, whatever the order of the list. Null when the window is larger
 * than `maxWindow` (rebuild the table instead).
 */
export function diffRouteLists(prev: readonly RouteSpec[], next: readonly RouteSpec[], maxWindow: number): RouteListDiff | null {
  let head = 0;
  const shortest = Math.min(prev.length, next.length);
  while (head < shortest && sameRoute(prev[head]!, next[head]!)) head++;
  let tail = 0;
  while (tail < shortest - head && sameRoute(prev[prev.length - 1 - tail]!, next[next.length - 1 - tail]!)) tail++;
  const oldWindow = prev.slice(head, prev.length - tail);
  const newWindow = next.slice(head, next.length - tail);
  if (oldWindow.length + newWindow.length > maxWindow) return null;
  const inNew = new Set(newWindow.map((r) => `${r.prefix} ${r.nextHop}`));
  const inOld = new Set(oldWindow.map((r) => `${r.prefix} ${r.nextHop}`));
  return {
    removed: oldWindow.filter((r) => !inNew.has(`${r.prefix} ${r.nextHop}`)),
    added: newWindow.filter((r) => !inOld.has(`${r.prefix} ${r.nextHop}`)),
  };
}

/**
 * Applies a diff to `table` in place (a changed next hop is a removal and an
 * addition of one prefix); returns each touched key with the route it held
 * before (undefined: none). Everything is checked before anything changes:
 * null, with the table untouched, when the diff cannot be applied as a
 * patch (a route that cannot be advertised, a prefix listed twice), so the
 * caller rebuilds and the problem is logged there.
 */
export function patchRouteTable(table: RouteTable, diff: RouteListDiff): Map<string, OutRoute | undefined> | null {
  const before = new Map<string, OutRoute | undefined>();
  const removals: { text: string; key: string }[] = [];
  for (const r of diff.removed) {
    const entry = byInputText(table, r.prefix);
    if (!entry) return null;
    removals.push({ text: r.prefix, key: entry.prefix.key });
    before.set(entry.prefix.key, entry);
  }
  const additions: { text: string; route: OutRoute }[] = [];
  const added = new Set<string>();
  for (const r of diff.added) {
    let route: OutRoute;
    try {
      let nh = table.nextHops.get(r.nextHop);
      if (!nh) {
        nh = nextHopOf(r.nextHop);
        table.nextHops.set(r.nextHop, nh); // a cache: safe to fill even if the patch gives up
      }
      route = newRoute(nh, r);
    } catch {
      return null;
    }
    const key = route.prefix.key;
    if (added.has(key) || (table.routes.has(key) && !before.has(key))) return null;
    added.add(key);
    if (!before.has(key)) before.set(key, undefined);
    additions.push({ text: r.prefix, route });
  }
  for (const { text, key } of removals) {
    table.byText.delete(text);
    table.routes.delete(key);
  }
  for (const { text, route } of additions) {
    table.routes.set(route.prefix.key, route);
    if (route.prefix.key !== text) table.byText.set(text, route);
  }
  return before;
}
