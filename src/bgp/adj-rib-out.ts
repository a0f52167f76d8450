// Adj-RIB-Out (RFC 4271 §3.2, §9.2): what we want the peer to have
// (desired), what it has from us on this connection (advertised), and the
// keys where the two differ (pending). The caller replaces the desired set
// whole; only the difference is ever sent. Pending keys are taken in
// batches so a large table is sent as the socket drains, not built in one go.

import type { Prefix } from './prefix.js';
import type { Family } from './negotiate.js';

export interface OutRoute {
  readonly prefix: Prefix;
  readonly family: Family;
  /** Next hop text, canonical form; routes with equal next hops share attributes. */
  readonly nextHop: string;
}

export interface RibBatch {
  readonly announce: OutRoute[];
  readonly withdraw: OutRoute[];
}

export class AdjRibOut {
  private desired = new Map<string, OutRoute>();
  private readonly advertised = new Map<string, OutRoute>();
  private readonly pending = new Set<string>();
  /**
   * Keys being sent, in order: a snapshot of `pending` taken when the last
   * one ran out. Draining an array by index stays linear; deleting from the
   * front of a large Set while iterating it leaves holes that every later
   * batch walks again. A key marked again meanwhile waits in `pending` and
   * is looked at once more, which sends the latest state.
   */
  private queue: string[] = [];
  private queuePos = 0;
  private families: ReadonlySet<Family> = new Set();
  private active = false;

  /** Routes we want advertised, by key. */
  get desiredCount(): number {
    return this.desired.size;
  }

  /** Routes the peer has from us on the current connection. */
  get advertisedCount(): number {
    return this.advertised.size;
  }

  get pendingCount(): number {
    return this.pending.size + this.queue.length - this.queuePos;
  }

  /** Replaces the desired set; marks every key whose route changed. */
  setDesired(next: Map<string, OutRoute>): void {
    const prev = this.desired;
    this.desired = next;
    if (!this.active) return;
    for (const [key, route] of next) {
      const had = prev.get(key);
      if (had === undefined || had.nextHop !== route.nextHop) this.markPending(key);
    }
    for (const key of prev.keys()) {
      if (!next.has(key)) this.markPending(key);
    }
  }

  /**
   * The desired table (the map given to setDesired) was changed in place at
   * these keys: only they are compared with what the peer has.
   */
  changed(keys: Iterable<string>): void {
    if (!this.active) return;
    for (const key of keys) this.markPending(key);
  }

  /** The session reached Established: the peer has nothing from this connection yet. */
  start(families: readonly Family[]): void {
    this.active = true;
    this.families = new Set(families);
    this.advertised.clear();
    this.pending.clear();
    this.queue = [];
    this.queuePos = 0;
    for (const [key, route] of this.desired) {
      if (this.families.has(route.family)) this.pending.add(key);
    }
  }

  /** The session left Established: nothing is advertised any more. */
  stop(): void {
    this.active = false;
    this.advertised.clear();
    this.pending.clear();
    this.queue = [];
    this.queuePos = 0;
  }

  /** ROUTE-REFRESH (RFC 2918 §4): send every desired route of the family again. */
  refresh(family: Family): void {
    if (!this.active || !this.families.has(family)) return;
    for (const [key, route] of this.desired) {
      if (route.family === family) this.pending.add(key);
    }
  }

  /**
   * Takes up to `limit` pending keys as announcements and withdrawals and
   * records them as advertised: the caller must send what it takes.
   */
  take(limit: number): RibBatch {
    const announce: OutRoute[] = [];
    const withdraw: OutRoute[] = [];
    let n = 0;
    while (n < limit) {
      if (this.queuePos >= this.queue.length) {
        // A new snapshot only starts a batch: within one batch a key is
        // then seen once (the packer sends withdrawals before announcements).
        if (n > 0 || this.pending.size === 0) break;
        this.queue = [...this.pending];
        this.queuePos = 0;
        this.pending.clear();
      }
      const key = this.queue[this.queuePos++]!;
      n++;
      const want = this.desired.get(key);
      if (want !== undefined && this.families.has(want.family)) {
        announce.push(want);
        this.advertised.set(key, want);
      } else {
        const had = this.advertised.get(key);
        if (had !== undefined) {
          withdraw.push(had);
          this.advertised.delete(key);
        }
      }
    }
    return { announce, withdraw };
  }

  private markPending(key: string): void {
    const route = this.desired.get(key) ?? this.advertised.get(key);
    if (route && this.families.has(route.family)) this.pending.add(key);
  }
}
