// Adj-RIB-Out (RFC 4271 §3.2, §9.2): what we want the peer to have
// (desired) and what it has from us on this connection. The caller replaces
// the desired set whole, or patches it in place and names the keys; only
// the difference is ever sent, taken in batches so a large table goes out
// as the socket drains, not built in one go.
//
// What the peer has is not a second table. Each route object carries the
// connection generation it was last sent on (`sent`), so "the peer has this
// route" is one comparison and sending the initial table is a walk over an
// array of the desired routes: no per-route map writes, no second copy of a
// 1,000,000-route table. Only routes the peer has but that are no longer
// desired (replaced or removed before the change went out) are remembered
// by key, in `retired`, until the change is sent.

import type { Prefix } from './prefix.js';
import type { Family } from './negotiate.js';

/** A next hop, interned per table: routes with the same one share this object. */
export interface NextHop {
  readonly afi: 1 | 2;
  /** Canonical text. */
  readonly text: string;
  /** IPv4: the address as an unsigned 32-bit number; IPv6: -1. */
  readonly v4: number;
  /** The packer's scratch: the batch it last grouped routes in, that group's first route and the rest. */
  packRound?: number;
  packFirst?: OutRoute | null;
  packGroup?: OutRoute[] | null;
}

/**
 * One desired route. Two fields and the mark: the family and the next-hop
 * text are read from the interned next hop, so a table of 1,000,000 routes
 * holds 48 octets per route here.
 */
export class OutRoute {
  /**
   * The AdjRibOut's mark: the connection generation this route object was
   * last sent on (0: never). A route object belongs to one AdjRibOut.
   */
  sent = 0;

  constructor(
    readonly prefix: Prefix,
    readonly hop: NextHop,
  ) {}

  get family(): Family {
    return this.hop.afi === 1 ? 'ipv4' : 'ipv6';
  }

  /** Next hop text, canonical form (= hop.text); routes with equal next hops share attributes. */
  get nextHop(): string {
    return this.hop.text;
  }
}

export interface RibBatch {
  readonly announce: OutRoute[];
  readonly withdraw: OutRoute[];
}

/** A walk over routes to send: the initial table, or a family again for ROUTE-REFRESH. */
interface Sweep {
  readonly routes: OutRoute[];
  pos: number;
  /** Send even routes the peer already has (ROUTE-REFRESH). */
  readonly force: boolean;
}

/** Generations are unique in the process, so a mark never matches another connection's. */
let lastGeneration = 0;
/** The mark of a route object that is no longer the desired route at its key. */
const DEAD = -1;

export class AdjRibOut {
  private desired = new Map<string, OutRoute>();
  /** The current connection's generation; a route with sent === gen is held by the peer. */
  private gen = ++lastGeneration;
  private advertised = 0;
  /** Key -> the route the peer has there, for keys whose desired route is another one or none. */
  private readonly retired = new Map<string, OutRoute>();
  /** Keys changed since they were last looked at. */
  private readonly pending = new Set<string>();
  /**
   * Changed keys being sent, in order: a snapshot of `pending` taken when the
   * last one ran out. Draining an array by index stays linear; deleting from
   * the front of a large Set while iterating it leaves holes that every
   * later batch walks again. A key marked again meanwhile waits in
   * `pending` and is looked at once more, which sends the latest state.
   */
  private queue: string[] = [];
  private queuePos = 0;
  private sweeps: Sweep[] = [];
  private families: ReadonlySet<Family> = new Set();
  private active = false;

  /** Routes we want advertised, by key. */
  get desiredCount(): number {
    return this.desired.size;
  }

  /** Routes the peer has from us on the current connection. */
  get advertisedCount(): number {
    return this.advertised;
  }

  /** Keys still to look at (an upper bound of what is left to send). */
  get pendingCount(): number {
    let n = this.pending.size + this.queue.length - this.queuePos;
    for (const s of this.sweeps) n += s.routes.length - s.pos;
    return n;
  }

  /** Replaces the desired set; marks every key whose route changed. */
  setDesired(next: Map<string, OutRoute>): void {
    const prev = this.desired;
    this.desired = next;
    if (!this.active) return;
    // Routes at keys that had none are walked like the initial table (no
    // per-key bookkeeping): the whole table arriving after an early start
    // is 100,000 of them.
    // forEach, not for-of: an unoptimised for-of over a Map makes an entry array per route.
    const added: OutRoute[] = [];
    next.forEach((route, key) => {
      const had = prev.get(key);
      if (had === route) return;
      if (had === undefined) {
        if (this.families.has(route.family)) {
          route.sent = 0;
          added.push(route);
        }
        return;
      }
      if (!this.carriedOver(had, route)) this.replaced(key, had);
    });
    prev.forEach((had, key) => {
      if (!next.has(key)) this.replaced(key, had);
    });
    if (added.length > 0) this.sweeps.push({ routes: added, pos: 0, force: false });
  }

  /**
   * The desired map (the one given to setDesired) was changed in place:
   * `changes` maps each touched key to the route it held before (undefined
   * when it held none).
   */
  changed(changes: ReadonlyMap<string, OutRoute | undefined>): void {
    if (!this.active) return;
    for (const [key, had] of changes) {
      const now = this.desired.get(key);
      if (now === had) continue;
      if (now === undefined || had === undefined || !this.carriedOver(had, now)) this.replaced(key, had);
    }
  }

  /** The session reached Established: the peer has nothing from this connection yet. */
  start(families: readonly Family[]): void {
    this.reset();
    this.active = true;
    this.families = new Set(families);
    this.sweep(families, false);
  }

  /** The session left Established: nothing is advertised any more. */
  stop(): void {
    this.reset();
    this.active = false;
  }

  /** ROUTE-REFRESH (RFC 2918 §4): send every desired route of the family again. */
  refresh(family: Family): void {
    if (!this.active || !this.families.has(family)) return;
    this.sweep([family], true);
  }

  /**
   * Takes up to `limit` keys' worth of announcements and withdrawals and
   * records them as sent: the caller must send what it takes. Within one
   * batch a key appears once (the packer sends withdrawals before
   * announcements).
   */
  take(limit: number): RibBatch {
    const announce: OutRoute[] = [];
    const withdraw: OutRoute[] = [];
    const gen = this.gen;
    let n = 0;
    // A forced sweep (ROUTE-REFRESH) re-sends routes the peer has: not those this batch already carries.
    const inBatch = this.sweeps.some((s) => s.force) ? new Set<OutRoute>() : null;
    // Changed keys first: they are few, and a sweep then skips what they sent.
    while (n < limit) {
      if (this.queuePos >= this.queue.length) {
        // A new snapshot only starts a batch, so a key is seen once per batch.
        if (n > 0 || this.pending.size === 0) break;
        this.queue = [...this.pending];
        this.queuePos = 0;
        this.pending.clear();
      }
      const key = this.queue[this.queuePos++]!;
      n++;
      const want = this.wanted(key);
      const had = this.held(key, want);
      this.retired.delete(key);
      if (want !== undefined) {
        if (want.sent === gen) continue; // the peer has it
        want.sent = gen;
        announce.push(want);
        inBatch?.add(want);
        if (had === undefined) this.advertised++;
      } else if (had !== undefined) {
        withdraw.push(had);
        this.advertised--;
      }
    }
    while (n < limit && this.sweeps.length > 0) {
      const s = this.sweeps[0]!;
      const { routes, force } = s;
      const checkRetired = this.retired.size > 0;
      let pos = s.pos;
      for (; pos < routes.length && n < limit; pos++, n++) {
        const r = routes[pos]!;
        const sent = r.sent;
        if (sent === DEAD) continue; // replaced or removed: its key is pending
        if (sent === gen && (!force || inBatch?.has(r))) continue;
        if (sent !== gen) {
          if (checkRetired && this.retired.delete(r.prefix.key)) {
            // It replaces what the peer had there (implicit withdraw).
          } else {
            this.advertised++;
          }
        }
        r.sent = gen;
        announce.push(r);
        inBatch?.add(r);
      }
      s.pos = pos;
      if (pos >= routes.length) this.sweeps.shift();
    }
    return { announce, withdraw };
  }

  /** The desired route at key if it is of a negotiated family. */
  private wanted(key: string): OutRoute | undefined {
    const r = this.desired.get(key);
    return r !== undefined && this.families.has(r.family) ? r : undefined;
  }

  /** What the peer has at key. */
  private held(key: string, want: OutRoute | undefined): OutRoute | undefined {
    const r = this.retired.get(key);
    if (r !== undefined) return r;
    return want !== undefined && want.sent === this.gen ? want : undefined;
  }

  /**
   * An equal route in a new object takes over the old one's mark (the peer
   * has it if it had the old one): nothing to send. False when they differ.
   */
  private carriedOver(had: OutRoute, now: OutRoute): boolean {
    if (had.nextHop !== now.nextHop) return false;
    now.sent = had.sent;
    had.sent = DEAD;
    return true;
  }

  /** The desired route at key changed from `had`. */
  private replaced(key: string, had: OutRoute | undefined): void {
    const now = this.desired.get(key);
    const family = (now ?? had)?.family;
    if (family === undefined || !this.families.has(family)) return; // never sent on this session
    if (had !== undefined) {
      if (had.sent === this.gen && !this.retired.has(key)) this.retired.set(key, had);
      had.sent = DEAD;
    }
    if (now !== undefined) now.sent = 0; // a new route: whatever its object says, the peer does not have it
    if (had !== undefined || now !== undefined) this.pending.add(key);
  }

  private sweep(families: readonly Family[], force: boolean): void {
    const routes: OutRoute[] = [];
    const v4 = families.includes('ipv4');
    const v6 = families.includes('ipv6');
    this.desired.forEach((r) => {
      if (r.family === 'ipv4' ? v4 : v6) routes.push(r);
    });
    if (routes.length > 0) this.sweeps.push({ routes, pos: 0, force });
  }

  private reset(): void {
    this.gen = ++lastGeneration;
    this.advertised = 0;
    this.retired.clear();
    this.pending.clear();
    this.queue = [];
    this.queuePos = 0;
    this.sweeps = [];
  }
}
