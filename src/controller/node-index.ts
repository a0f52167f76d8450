// The Node set behind desired state, kept as an index so that one Node
// changing costs work for that Node only, whatever the cluster size. It
// answers desired-state.ts's NodeView questions:
// - self(name): a map lookup;
// - elect(peer, selector, count): per (peer, selector, count) the candidate
//   names (Ready Nodes matching the selector) and the rendezvous winners. A
//   candidate joining is compared with the current winners only (the top
//   `count` of a set plus one name is the top of the winners plus that name);
//   only a winner leaving makes the next question hash every candidate again;
// - routes(selector): per selector the routes of matching Nodes, one per
//   prefix (the first Node name keeps a prefix claimed twice, as
//   selectRoutes does), kept in routeOrder (by owning Node). A change
//   replaces, adds or removes the entries of one Node by binary search; the
//   list handed out is a copy made only when a winner changed (a copy is a
//   memory move, not work per Node). Grouped by Node, one Node's change is
//   one window of the list, which the speaker's list diff patches cheaply.
// Elections and route groups nobody asked for since the previous prune() are
// dropped, so a deleted BGPPeer costs nothing afterwards.
//
// Nodes are keyed by name. A hand-built list may repeat a name (the YAML
// source keeps the last one, the API server never repeats one): the k-th
// repeat gets its own key, and ties keep the list's order, as in the
// reference (scanNodes).

import type { RouteSpec } from '../bgp/index.js';
import type { NodeView, SelectedRoutes } from './desired-state.js';
import { isReady, rendezvous } from './election.js';
import type { Node, Problem } from './resources.js';
import { matches, type Selector } from './selector.js';
import { checkNode, duplicateCIDRProblem, routeOfCIDR, routeOrder, type CheckedNode, type OwnedRoute } from './validate-node.js';

/** The name checkNode gives the Node at position `index` of a list. */
function nameOf(raw: Node, index: number): string {
  const name: unknown = raw?.metadata?.name;
  return typeof name === 'string' && name !== '' ? name : `#${index + 1}`;
}

/** One Node as the index holds it. */
interface Entry {
  readonly key: string;
  readonly raw: Node;
  readonly node: CheckedNode;
  /** 0 for the first Node of its name in a list, 1 for the next one, ... */
  readonly occurrence: number;
}

/**
 * One pod CIDR of one Node: a route if this Node wins the prefix. `position`
 * is the Node's occurrence, which orders Nodes of one name as their list
 * positions do. Claims on one prefix are kept in routeOrder: the first wins,
 * as in selectRoutes.
 */
interface Claim extends OwnedRoute {
  readonly route: RouteSpec;
}

function claimsOf(e: Entry): Claim[] {
  const n = e.node;
  return n.cidrs.map((cidr, index) => ({
    node: n.name,
    position: e.occurrence,
    index,
    owner: n,
    cidr,
    route: routeOfCIDR(cidr, (cidr.family === 'ipv4' ? n.ipv4 : n.ipv6)!),
  }));
}

/** Deep equality of JSON-like values. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Whether two Node objects agree on every field checkNode reads (name,
 * labels, addresses, readiness, pod CIDRs): a file reload yields new objects
 * for unchanged Nodes, and a kubelet status update changes timestamps only;
 * neither needs a new derivation.
 */
export function sameNodeInput(a: Node, b: Node): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return (
    same(a.metadata?.name, b.metadata?.name) &&
    same(a.metadata?.labels, b.metadata?.labels) &&
    same(a.spec?.podCIDR, b.spec?.podCIDR) &&
    same(a.spec?.podCIDRs, b.spec?.podCIDRs) &&
    same(a.status?.addresses, b.status?.addresses) &&
    isReady(a) === isReady(b) &&
    typeof a.spec === typeof b.spec &&
    Array.isArray(a.spec) === Array.isArray(b.spec)
  );
}

/** Rendezvous winners among the Ready Nodes matching one selector, for one peer name. */
class Election {
  /** Candidate name -> how many Nodes of that name are candidates. */
  private readonly counts = new Map<string, number>();
  private top: string[] | null = null;
  used = true;

  constructor(
    private readonly peer: string,
    private readonly selector: Selector,
    private readonly count: number,
    entries: Iterable<Entry>,
  ) {
    for (const e of entries) if (this.candidate(e)) this.counts.set(e.node.name, (this.counts.get(e.node.name) ?? 0) + 1);
  }

  private candidate(e: Entry): boolean {
    return e.node.ready && matches(this.selector, e.node.labels);
  }

  change(old: Entry | undefined, next: Entry | undefined): void {
    const was = old !== undefined && this.candidate(old);
    const is = next !== undefined && this.candidate(next);
    if (was === is) return;
    const name = (old ?? next)!.node.name;
    const n = this.counts.get(name) ?? 0;
    if (was) {
      if (n > 1) this.counts.set(name, n - 1);
      else {
        this.counts.delete(name);
        // A winner left: the next one may be anywhere among the candidates.
        if (this.top?.includes(name)) this.top = null;
      }
    } else {
      this.counts.set(name, n + 1);
      if (n === 0 && this.top) this.top = rendezvous(this.peer, [...this.top, name], this.count);
    }
  }

  result(): readonly string[] {
    this.top ??= rendezvous(this.peer, this.counts.keys(), this.count);
    return this.top;
  }
}

const firstClaim = (v: Claim | Claim[] | undefined): Claim | undefined => (Array.isArray(v) ? v[0] : v);

/** The routes of the Nodes matching one selector. */
class RouteGroup {
  /** Keys of matching Nodes. */
  private readonly members = new Set<string>();
  /**
   * Prefix text -> its claim, or its claims in routeOrder when contested
   * (the first wins): one claim needs no array, and a prefix usually has one.
   */
  private readonly claims = new Map<string, Claim | Claim[]>();
  /** Matching Nodes that have problems, by key. */
  private readonly troubled = new Map<string, CheckedNode>();
  /** Prefixes claimed more than once. */
  private readonly contested = new Set<string>();
  /** The winning claims in routeOrder, and their routes. */
  private winners: Claim[] = [];
  private routes: RouteSpec[] = [];
  private v4 = 0;
  private v6 = 0;
  private routesOut: RouteSpec[] | null = null;
  private problemsOut: { exclude: string; problems: Problem[] } | null = null;
  used = true;

  constructor(
    private readonly selector: Selector,
    entries: Iterable<Entry>,
  ) {
    for (const e of entries) if (matches(selector, e.node.labels)) this.join(e, null);
    const winners: Claim[] = [];
    for (const v of this.claims.values()) winners.push(firstClaim(v)!);
    winners.sort(routeOrder);
    this.winners = winners;
    this.routes = winners.map((c) => c.route);
    for (const c of winners) this.count(c, 1);
  }

  change(old: Entry | undefined, next: Entry | undefined): void {
    const was = old !== undefined && this.members.has(old.key);
    const is = next !== undefined && matches(this.selector, next.node.labels);
    if (!was && !is) return;
    if (was && is && old.node === next.node) return;
    // Prefix -> its winner before this change.
    const before = new Map<string, Claim | undefined>();
    if (was) this.leave(old, before);
    if (is) this.join(next, before);
    for (const [prefix, w0] of before) {
      const w1 = firstClaim(this.claims.get(prefix));
      if (w0 !== w1) this.place(w0, w1);
    }
    this.problemsOut = null;
  }

  private join(e: Entry, before: Map<string, Claim | undefined> | null): void {
    this.members.add(e.key);
    if (e.node.problems.length > 0) this.troubled.set(e.key, e.node);
    for (const c of claimsOf(e)) {
      const p = c.cidr.text;
      const v = this.claims.get(p);
      if (before && !before.has(p)) before.set(p, firstClaim(v));
      if (v === undefined) {
        this.claims.set(p, c);
        continue;
      }
      const list = Array.isArray(v) ? v : [v];
      this.claims.set(p, list);
      let i = list.length;
      while (i > 0 && routeOrder(c, list[i - 1]!) < 0) i--;
      list.splice(i, 0, c);
      this.contested.add(p);
    }
  }

  private leave(e: Entry, before: Map<string, Claim | undefined>): void {
    this.members.delete(e.key);
    this.troubled.delete(e.key);
    const name = e.node.name;
    const position = e.occurrence;
    for (const cidr of e.node.cidrs) {
      const p = cidr.text;
      const v = this.claims.get(p);
      if (v === undefined) continue;
      if (!before.has(p)) before.set(p, firstClaim(v));
      const kept = (Array.isArray(v) ? v : [v]).filter((c) => c.node !== name || c.position !== position);
      if (kept.length === 0) this.claims.delete(p);
      else this.claims.set(p, kept.length === 1 ? kept[0]! : kept);
      if (kept.length < 2) this.contested.delete(p);
    }
  }

  /** Where claim `c` is, or belongs, in the winners. */
  private slot(c: Claim): number {
    let lo = 0;
    let hi = this.winners.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (routeOrder(this.winners[mid]!, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Replaces winner `w0` of a prefix by `w1` in the lists (either may be absent). */
  private place(w0: Claim | undefined, w1: Claim | undefined): void {
    if (w0 && w1 && routeOrder(w0, w1) === 0) {
      // The same Node's claim again: only a new next hop changes the list.
      if (w0.route.nextHop === w1.route.nextHop) return;
      const at = this.slot(w0);
      this.winners[at] = w1;
      this.routes[at] = w1.route;
      this.routesOut = null;
      return;
    }
    if (w0) {
      const at = this.slot(w0);
      this.winners.splice(at, 1);
      this.routes.splice(at, 1);
      this.count(w0, -1);
    }
    if (w1) {
      const at = this.slot(w1);
      this.winners.splice(at, 0, w1);
      this.routes.splice(at, 0, w1.route);
      this.count(w1, 1);
    }
    this.routesOut = null;
  }

  private count(c: Claim, d: number): void {
    if (c.cidr.family === 'ipv4') this.v4 += d;
    else this.v6 += d;
  }

  output(exclude: string): SelectedRoutes {
    // A copy: the lists handed out before must not change under the speaker.
    this.routesOut ??= this.routes.slice();
    if (!this.problemsOut || this.problemsOut.exclude !== exclude) {
      const problems: Problem[] = [];
      for (const n of this.troubled.values()) if (n.name !== exclude) problems.push(...n.problems);
      for (const p of this.contested) {
        const v = this.claims.get(p)!;
        const [winner, ...rest] = Array.isArray(v) ? v : [v];
        for (const c of rest) if (c.node !== winner!.node) problems.push(duplicateCIDRProblem(c, winner!.node));
      }
      this.problemsOut = { exclude, problems };
    }
    const families = new Set<'ipv4' | 'ipv6'>();
    if (this.v4 > 0) families.add('ipv4');
    if (this.v6 > 0) families.add('ipv6');
    return { routes: this.routesOut, families, problems: this.problemsOut.problems };
  }
}

export class NodeIndex implements NodeView {
  private readonly entries = new Map<string, Entry>();
  private readonly groups = new Map<string, RouteGroup>();
  private readonly elections = new Map<string, Election>();

  get size(): number {
    return this.entries.size;
  }

  /** The Node objects held, in no particular order. */
  *nodes(): IterableIterator<Node> {
    for (const e of this.entries.values()) yield e.raw;
  }

  /**
   * Makes the index hold exactly `nodes`. Costs a lookup and a comparison
   * per Node; only Nodes that are new or differ in what checkNode reads are
   * checked again and change the answers.
   */
  replace(nodes: readonly Node[]): void {
    const seen = new Map<string, number>();
    const keep = new Set<string>();
    nodes.forEach((raw, i) => {
      const name = nameOf(raw, i);
      const occurrence = seen.get(name) ?? 0;
      seen.set(name, occurrence + 1);
      const key = occurrence === 0 ? name : `${name}\u0000${occurrence}`;
      keep.add(key);
      const old = this.entries.get(key);
      if (old && old.raw === raw) return;
      if (old && sameNodeInput(old.raw, raw)) {
        this.entries.set(key, { ...old, raw });
        return;
      }
      this.set(key, { key, raw, node: checkNode(raw, i), occurrence });
    });
    if (keep.size !== this.entries.size) {
      for (const key of [...this.entries.keys()]) if (!keep.has(key)) this.set(key, undefined);
    }
  }

  /** Adds or replaces the Node of this object's name (informer events: names are unique). */
  put(raw: Node): void {
    const name = nameOf(raw, 0);
    const old = this.entries.get(name);
    if (old && (old.raw === raw || sameNodeInput(old.raw, raw))) {
      if (old.raw !== raw) this.entries.set(name, { ...old, raw });
      return;
    }
    this.set(name, { key: name, raw, node: checkNode(raw, 0), occurrence: 0 });
  }

  /** Removes the Node of this name. */
  delete(name: string): void {
    if (this.entries.has(name)) this.set(name, undefined);
  }

  private set(key: string, next: Entry | undefined): void {
    const old = this.entries.get(key);
    if (next) this.entries.set(key, next);
    else this.entries.delete(key);
    for (const g of this.groups.values()) g.change(old, next);
    for (const e of this.elections.values()) e.change(old, next);
  }

  self(name: string): CheckedNode | undefined {
    return this.entries.get(name)?.node;
  }

  elect(peer: string, selector: Selector, selectorText: string, count: number): readonly string[] {
    const key = `${peer}\u0000${selectorText}\u0000${count}`;
    let e = this.elections.get(key);
    if (!e) {
      e = new Election(peer, selector, count, this.entries.values());
      this.elections.set(key, e);
    }
    e.used = true;
    return e.result();
  }

  routes(selector: Selector, selectorText: string, exclude: string): SelectedRoutes {
    let g = this.groups.get(selectorText);
    if (!g) {
      g = new RouteGroup(selector, this.entries.values());
      this.groups.set(selectorText, g);
    }
    g.used = true;
    return g.output(exclude);
  }

  /** Drops the elections and route groups not asked for since the previous prune. */
  prune(): void {
    for (const [k, g] of this.groups) {
      if (!g.used) this.groups.delete(k);
      g.used = false;
    }
    for (const [k, e] of this.elections) {
      if (!e.used) this.elections.delete(k);
      e.used = false;
    }
  }
}
