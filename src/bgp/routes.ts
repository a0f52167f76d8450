// RouteSpec[] (text from the controller) -> the speaker's desired table for
// one session: each prefix parsed once, each next hop in canonical form and
// of the prefix's family (RFC 4271 §5.1.3 NEXT_HOP for IPv4, RFC 4760
// MP_REACH_NLRI for IPv6). A route that cannot be advertised is logged and
// left out; the others are unaffected.
//
// The table is kept, not rebuilt, from one route list to the next: a route
// sits in a numbered slot for as long as its prefix is desired, and the
// Adj-RIB-Out (adj-rib-out.ts) keeps its per-route state in typed arrays by
// slot number. A slot costs two array elements here (the prefix object,
// which is the controller's own pod CIDR when it passes one, and the
// interned next hop) and an entry in an Ipv4PrefixMap: about 30 octets a
// route, where a route object in a Map keyed by the prefix text took 85.
//
// The controller hands over the whole route list on every change. A change
// of a few Nodes leaves a small window of the list that differs: only that
// window is looked at (patch). Anything larger walks the whole list
// (rebuild), which still only touches the slots whose route changed.

import type Logger from 'bunyan';
import { ABSENT, Ipv4PrefixMap } from './prefix-map.js';
import { formatAddress, Ipv4Prefix, ipv4Number, parseAddress, parsePrefix, scanIpv4Prefix, scanned, type Prefix } from './prefix.js';
import type { RouteSpec } from './types.js';

/** A next hop, interned per table: routes with the same one share this object. */
export interface NextHop {
  /** Its number in the table's list of next hops (what a slot holds). */
  id: number;
  readonly afi: 1 | 2;
  /** Canonical text. */
  readonly text: string;
  /** IPv4: the address as an unsigned 32-bit number; IPv6: -1. */
  readonly v4: number;
  /** The packer's scratch: the batch it last grouped prefixes in, that group's first prefix and the rest. */
  packRound?: number;
  packFirst?: Prefix | null;
  packGroup?: Prefix[] | null;
}

/** What a table tells its Adj-RIB-Out, as each change is made. */
export interface RouteTableListener {
  /** A route for a prefix the table did not have now sits at `slot`. */
  added(slot: number): void;
  /** The route at `slot` has a new next hop. */
  nextHopChanged(slot: number): void;
  /** The route at `slot`, for `prefix`, is gone; the slot may be reused after the call. */
  removed(slot: number, prefix: Prefix): void;
}

/** Largest changed window of the route list that is patched rather than walked whole. */
const PATCH_WINDOW = 1024;

/** Parses a next hop; throws an Error naming the text. */
function parseNextHop(text: string): NextHop {
  const a = parseAddress(text);
  const canonical = formatAddress(a.afi, a.bytes);
  return { id: -1, afi: a.afi, text: canonical, v4: a.afi === 1 ? ipv4Number(canonical) : -1, packRound: 0, packFirst: null, packGroup: null };
}

export class RouteTable {
  /**
   * By slot: the route's prefix; undefined marks a free slot. Allocated
   * ahead (a first table at its full size), so a table of 100,000 routes
   * does not leave a trail of outgrown arrays for the garbage collector.
   */
  prefixes: (Prefix | undefined)[] = new Array<Prefix | undefined>(0);
  /** By slot: the number of the route's next hop in `hopList` (4 octets off the JS heap, not an 8-octet reference). */
  private hopIds = new Int32Array(0);
  private hopList: NextHop[] = [];
  private slots = 0;
  /** Told of every change. */
  listener: RouteTableListener | null = null;
  private readonly v4 = new Ipv4PrefixMap();
  private readonly v6 = new Map<string, number>();
  private readonly free: number[] = [];
  private count = 0;
  /** Input next-hop text -> interned next hop; rebuilt by each walk of the whole list, so unused ones go. */
  private hopsByText = new Map<string, NextHop>();
  private hopsByCanonical = new Map<string, NextHop>();
  /** The route list the table holds. */
  private list: readonly RouteSpec[] | null = null;
  /**
   * The list names some prefix twice. A patch cannot tell whether a prefix
   * it removes is still listed outside the changed window, so such a list
   * is walked whole until a walk finds no prefix twice.
   */
  private listedTwice = false;
  // Where locate() found a route's prefix: its family, the IPv4 number and
  // length or the IPv6 key, and the prefix object if one is at hand.
  private afi: 1 | 2 = 1;
  private addr = 0;
  private length = 0;
  private key = '';
  private prefix: Prefix | null = null;

  constructor(private readonly patchWindow = PATCH_WINDOW) {}

  /** Routes in the table. */
  get size(): number {
    return this.count;
  }

  /** Slots the table has room for without growing its arrays. */
  get capacity(): number {
    return this.prefixes.length;
  }

  /** One past the highest slot ever used: every route sits below. */
  get end(): number {
    return this.slots;
  }

  /** The next hop of the route at `slot`. */
  hop(slot: number): NextHop {
    return this.hopList[this.hopIds[slot]!]!;
  }

  /** The slot of the route for this prefix (as parsePrefix or prefixFromNlri make it), or -1. */
  slotOf(p: Prefix): number {
    return p instanceof Ipv4Prefix ? this.v4.get(p.addr, p.length) : (this.v6.get(p.key) ?? ABSENT);
  }

  /** The routes, by prefix key, with their next hop text. */
  entries(): Map<string, string> {
    const out = new Map<string, string>();
    for (let s = 0; s < this.slots; s++) {
      const p = this.prefixes[s];
      if (p !== undefined) out.set(p.key, this.hop(s).text);
    }
    return out;
  }

  /**
   * Makes the table hold `routes`; the later of two routes for one prefix
   * wins. Routes that cannot be advertised are logged and left out.
   */
  set(routes: readonly RouteSpec[], log?: Logger): void {
    const prev = this.list;
    this.list = routes;
    if (prev !== null && !this.listedTwice) {
      const diff = diffRouteLists(prev, routes, this.patchWindow);
      if (diff !== null && this.patch(diff)) return;
    }
    this.rebuild(routes, log);
  }

  /** Walks the whole list; touches only the slots whose route changed. */
  private rebuild(routes: readonly RouteSpec[], log?: Logger): void {
    if (this.count === 0) {
      // A first table is sized whole: its arrays and its IPv4 map grow once,
      // not step by step, and leave no outgrown copies behind. A table that
      // was emptied refills its free slots first.
      this.reserve(Math.max(0, routes.length - this.free.length));
      let v4 = 0;
      for (let i = 0; i < routes.length; i++) if (!routes[i]!.prefix.includes(':')) v4++;
      this.v4.reserve(v4);
    }
    const seen = new Uint8Array(this.slots + routes.length);
    // The next hops are numbered again from those the list uses: a slot's
    // number is rewritten when the walk visits it, and the slots it does
    // not visit are removed. Until then `old` says what a slot's number was.
    const oldHops = this.hopsByText;
    const old = this.hopList;
    this.hopsByText = new Map();
    this.hopsByCanonical = new Map();
    this.hopList = [];
    // Consecutive routes usually share a next hop (one Node's pod CIDRs): no lookup then.
    let lastText: string | null = null;
    let last: NextHop | null = null;
    let twice = false;
    // Indexed, not for-of: this runs once per table, mostly before V8 optimises
    // it, and unoptimised for-of makes an iterator result per route.
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i]!;
      try {
        let hop: NextHop;
        if (r.nextHop === lastText) {
          hop = last!;
        } else {
          hop = this.hopOf(r.nextHop, oldHops.get(r.nextHop));
          lastText = r.nextHop;
          last = hop;
        }
        let slot = this.locate(r);
        if (this.afi !== hop.afi) throw new Error(`next hop ${r.nextHop} is not of the family of ${r.prefix}`);
        // A slot this walk already set (a prefix listed twice) has its number from the new list.
        if (slot < 0) slot = this.insert(r.prefix, hop);
        else {
          twice ||= seen[slot] === 1;
          this.setHop(slot, hop, seen[slot] === 1 ? this.hopList : old);
        }
        seen[slot] = 1;
      } catch (err) {
        log?.warn({ prefix: r.prefix, nextHop: r.nextHop, problem: (err as Error).message }, 'route left out');
      }
    }
    for (let s = 0; s < this.slots; s++) if (seen[s] === 0 && this.prefixes[s] !== undefined) this.remove(s);
    this.listedTwice = twice;
  }

  /**
   * Applies a diff of route lists (a changed next hop is a removal and an
   * addition of one prefix). Everything is checked before anything changes:
   * false, with the table untouched, when the diff cannot be applied as a
   * patch (a route that cannot be advertised, a prefix listed twice), so the
   * caller walks the whole list and the problem is logged there.
   */
  private patch(diff: RouteListDiff): boolean {
    const gone = new Set<number>();
    const moved = new Set<number>();
    const fresh = new Set<string>();
    const adds: { route: RouteSpec; hop: NextHop; slot: number }[] = [];
    try {
      for (const r of diff.removed) {
        const slot = this.locate(r);
        if (slot < 0 || this.hop(slot).text !== this.hopOf(r.nextHop).text) return false;
        gone.add(slot);
      }
      for (const r of diff.added) {
        const hop = this.hopOf(r.nextHop);
        const slot = this.locate(r);
        if (this.afi !== hop.afi) return false;
        if (slot >= 0) {
          // Only a prefix being removed may come back, once: a next-hop change.
          if (!gone.has(slot) || moved.has(slot)) return false;
          moved.add(slot);
        } else {
          const key = this.afi === 1 ? `${this.addr}/${this.length}` : this.key;
          if (fresh.has(key)) return false;
          fresh.add(key);
        }
        adds.push({ route: r, hop, slot });
      }
    } catch {
      return false;
    }
    for (const slot of gone) if (!moved.has(slot)) this.remove(slot);
    for (const { route, hop, slot } of adds) {
      if (slot >= 0) this.setHop(slot, hop);
      else {
        this.locate(route);
        this.insert(route.prefix, hop);
      }
    }
    return true;
  }

  /** The interned next hop for this text (`known`: the object an earlier walk made for it). */
  private hopOf(text: string, known?: NextHop): NextHop {
    let hop = this.hopsByText.get(text);
    if (hop !== undefined) return hop;
    const parsed = known ?? parseNextHop(text);
    hop = this.hopsByCanonical.get(parsed.text);
    if (hop === undefined) {
      hop = parsed;
      hop.id = this.hopList.length;
      this.hopList.push(hop);
      this.hopsByCanonical.set(hop.text, hop);
    }
    this.hopsByText.set(text, hop);
    return hop;
  }

  /**
   * Finds the slot of a route's prefix (-1: none) and leaves the prefix's
   * family and number or key in the fields above; throws an Error naming
   * a prefix that cannot be parsed. Canonical IPv4 text is scanned, not
   * parsed into an object: most routes are already in the table.
   */
  private locate(r: RouteSpec): number {
    const parsed = r.parsed;
    let p: Prefix | null = null;
    if (parsed !== undefined && parsed.key === r.prefix && (parsed instanceof Ipv4Prefix || parsed.afi === 2)) p = parsed;
    else if (scanIpv4Prefix(r.prefix)) {
      this.afi = 1;
      this.addr = scanned.addr;
      this.length = scanned.length;
      this.prefix = null;
      return this.v4.get(this.addr, this.length);
    } else p = parsePrefix(r.prefix); // IPv4 comes back as an Ipv4Prefix too
    this.prefix = p;
    this.afi = p.afi;
    if (p instanceof Ipv4Prefix) {
      this.addr = p.addr;
      this.length = p.length;
      return this.v4.get(p.addr, p.length);
    }
    this.key = p.key;
    return this.v6.get(p.key) ?? ABSENT;
  }

  /** Adds the prefix locate() just found with `hop`; returns its slot. */
  private insert(text: string, hop: NextHop): number {
    // A scanned prefix's text is its canonical key.
    const p = this.prefix ?? new Ipv4Prefix(this.addr, this.length, text);
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.slots === this.prefixes.length) this.reserve(Math.max(16, this.slots >> 1));
      slot = this.slots++;
    }
    this.prefixes[slot] = p;
    this.hopIds[slot] = hop.id;
    if (p instanceof Ipv4Prefix) this.v4.set(p.addr, p.length, slot);
    else this.v6.set(p.key, slot);
    this.count++;
    this.listener?.added(slot);
    return slot;
  }

  /** `list`: the next hops the slot's number refers to (the old list during a walk). */
  private setHop(slot: number, hop: NextHop, list = this.hopList): void {
    const had = list[this.hopIds[slot]!]!;
    this.hopIds[slot] = hop.id;
    if (had === hop) return;
    // The same address written another way is the same route.
    if (had.text !== hop.text) this.listener?.nextHopChanged(slot);
  }

  /** Room for `more` slots beyond the last used one. */
  private reserve(more: number): void {
    const n = this.slots + more;
    if (n <= this.prefixes.length) return;
    const prefixes = new Array<Prefix | undefined>(n);
    for (let s = 0; s < this.slots; s++) prefixes[s] = this.prefixes[s];
    this.prefixes = prefixes;
    const ids = new Int32Array(n);
    ids.set(this.hopIds.subarray(0, this.slots));
    this.hopIds = ids;
  }

  private remove(slot: number): void {
    const p = this.prefixes[slot]!;
    if (p instanceof Ipv4Prefix) this.v4.delete(p.addr, p.length);
    else this.v6.delete(p.key);
    this.prefixes[slot] = undefined;
    this.free.push(slot);
    this.count--;
    this.listener?.removed(slot, p);
  }
}

/** Where two route lists differ: the routes of the changed window, removed from the old list and added in the new. */
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
