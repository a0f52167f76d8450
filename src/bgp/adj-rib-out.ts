// Adj-RIB-Out (RFC 4271 §3.2, §9.2): what we want the peer to have (the
// session's RouteTable, routes.ts) and what it has from us on this
// connection. The table tells us of each change as it is made; only the
// difference is ever sent, taken in batches so a large table goes out as
// the socket drains, not built in one go.
//
// What the peer has is not a second table. Each slot of the route table has
// a mark in a typed array: the connection generation its route was last
// sent on. "The peer has this route" is one comparison, and sending the
// initial table is a walk over the slots: no per-route object, no second
// copy of a 1,000,000-route table. Only prefixes the peer has but that are
// no longer desired are remembered by key, in `retired`, until their
// withdrawal is sent.

import type { Family } from './negotiate.js';
import type { Prefix } from './prefix.js';
import type { NextHop, RouteTable, RouteTableListener } from './routes.js';

export interface RibBatch {
  /** Prefixes to announce; `hops[i]` is the next hop of `announce[i]`. */
  readonly announce: readonly Prefix[];
  readonly hops: readonly NextHop[];
  readonly withdraw: readonly Prefix[];
}

/** A walk over the slots to send: the initial table, or a family again for ROUTE-REFRESH. */
interface Sweep {
  pos: number;
  readonly v4: boolean;
  readonly v6: boolean;
  /** Send even routes the peer already has (ROUTE-REFRESH). */
  readonly force: boolean;
}

/** Generations are unique in the process, so a mark never matches another connection's. */
let lastGeneration = 0;

export class AdjRibOut implements RouteTableListener {
  /**
   * By slot: `gen` when the peer has the slot's route from this connection,
   * `-gen` when it has an older route for the same prefix (a next hop since
   * replaced: announcing the new one replaces it, RFC 4271 §3.1), anything
   * else when it has nothing for the prefix.
   */
  private sent = new Int32Array(0);
  /** The current connection's generation. */
  private gen = ++lastGeneration;
  private advertised = 0;
  /** Key -> prefix the peer has from us that the table no longer holds. */
  private readonly retired = new Map<string, Prefix>();
  /** Slots changed since they were last looked at, in order (a slot at most once: `queued`). */
  private queue = new Int32Array(64);
  private head = 0;
  private tail = 0;
  private queued = new Uint8Array(0);
  private sweeps: Sweep[] = [];
  private v4 = false;
  private v6 = false;
  private active = false;

  constructor(private readonly table: RouteTable) {
    table.listener = this;
  }

  /** Routes the peer has from us on the current connection. */
  get advertisedCount(): number {
    return this.advertised;
  }

  /** Slots and keys still to look at (an upper bound of what is left to send). */
  get pendingCount(): number {
    let n = this.retired.size + this.tail - this.head;
    const end = this.table.end;
    for (const s of this.sweeps) n += end - s.pos;
    return n;
  }

  /** The session reached Established: the peer has nothing from this connection yet. */
  start(families: readonly Family[]): void {
    this.reset();
    this.active = true;
    this.v4 = families.includes('ipv4');
    this.v6 = families.includes('ipv6');
    this.fit(this.table.end);
    this.sweep(this.v4, this.v6, false);
  }

  /** The session left Established: nothing is advertised any more. */
  stop(): void {
    this.reset();
    this.active = false;
  }

  /** ROUTE-REFRESH (RFC 2918 §4): send every desired route of the family again. */
  refresh(family: Family): void {
    if (!this.active) return;
    if (family === 'ipv4' ? this.v4 : this.v6) this.sweep(family === 'ipv4', family === 'ipv6', true);
  }

  added(slot: number): void {
    if (!this.active) return;
    this.fit(slot + 1);
    const p = this.table.prefixes[slot]!;
    if (!this.negotiated(p)) return;
    // A prefix withdrawn from the table and back before the withdrawal went out: announcing replaces what the peer has.
    this.sent[slot] = this.retired.size > 0 && this.retired.delete(p.key) ? -this.gen : 0;
    if (slot === this.table.end - 1) this.sweepToEnd(slot, p);
    else this.enqueue(slot);
  }

  /**
   * Sees that a sweep reaches `slot`, the table's last. Every sweep still
   * listed is short of the end and runs to the end of the table as it is
   * when taken, so one that covers the slot's family will; when none does,
   * one starts at the slot. A table that fills up while the session is
   * Established (the rest of the configuration arrives after the early
   * start) thus queues nothing per route: its new slots are walked like an
   * initial table.
   */
  private sweepToEnd(slot: number, p: Prefix): void {
    const v4 = p.afi === 1;
    for (const s of this.sweeps) if (v4 ? s.v4 : s.v6) return;
    this.sweeps.push({ pos: slot, v4: this.v4, v6: this.v6, force: false });
  }

  nextHopChanged(slot: number): void {
    if (!this.active || !this.negotiated(this.table.prefixes[slot]!)) return;
    if (this.sent[slot] === this.gen) this.sent[slot] = -this.gen;
    this.enqueue(slot);
  }

  removed(slot: number, prefix: Prefix): void {
    if (!this.active || !this.negotiated(prefix)) return;
    const mark = this.sent[slot]!;
    if (mark === this.gen || mark === -this.gen) this.retired.set(prefix.key, prefix);
    this.sent[slot] = 0;
  }

  /**
   * Takes up to `limit` slots' and keys' worth of announcements and
   * withdrawals and records them as sent: the caller must send what it
   * takes. Within one batch a prefix appears once.
   */
  take(limit: number): RibBatch {
    const announce: Prefix[] = [];
    const hops: NextHop[] = [];
    const withdraw: Prefix[] = [];
    const { table } = this;
    const { prefixes } = table;
    const { sent, gen } = this;
    let n = 0;
    // Withdrawals first. A retired key is never in the table (added() takes
    // it out), so no announcement in this batch names it.
    if (this.retired.size > 0) {
      for (const [key, p] of this.retired) {
        if (n >= limit) break;
        n++;
        this.retired.delete(key);
        withdraw.push(p);
        this.advertised--;
      }
    }
    // A forced sweep (ROUTE-REFRESH) re-sends routes the peer has: not those this batch already carries.
    const inBatch = this.sweeps.some((s) => s.force) ? new Set<number>() : null;
    // Changed slots, then the sweeps, which skip what the changes sent.
    while (n < limit && this.head < this.tail) {
      const slot = this.queue[this.head++]!;
      this.queued[slot] = 0;
      n++;
      const p = prefixes[slot];
      if (p === undefined || !this.negotiated(p)) continue; // removed since: a withdrawal, if due, is retired
      const mark = sent[slot]!;
      if (mark === gen) continue;
      if (mark !== -gen) this.advertised++;
      sent[slot] = gen;
      announce.push(p);
      hops.push(table.hop(slot));
      inBatch?.add(slot);
    }
    if (this.head === this.tail) this.head = this.tail = 0;
    const end = this.table.end;
    while (n < limit && this.sweeps.length > 0) {
      const s = this.sweeps[0]!;
      const { v4, v6, force } = s;
      let pos = s.pos;
      for (; pos < end && n < limit; pos++, n++) {
        const p = prefixes[pos];
        if (p === undefined || !(p.afi === 1 ? v4 : v6)) continue;
        const mark = sent[pos]!;
        if (mark === gen && (!force || inBatch!.has(pos))) continue;
        if (mark !== gen && mark !== -gen) this.advertised++;
        sent[pos] = gen;
        announce.push(p);
        hops.push(table.hop(pos));
        inBatch?.add(pos);
      }
      s.pos = pos;
      if (pos >= end) this.sweeps.shift();
    }
    return { announce, hops, withdraw };
  }

  private negotiated(p: Prefix): boolean {
    return p.afi === 1 ? this.v4 : this.v6;
  }

  private enqueue(slot: number): void {
    if (this.queued[slot] === 1) return;
    this.queued[slot] = 1;
    if (this.tail === this.queue.length) {
      const live = this.tail - this.head;
      if (this.head > 0 && live < this.queue.length / 2) this.queue.copyWithin(0, this.head, this.tail);
      else {
        const bigger = new Int32Array(this.queue.length * 2);
        bigger.set(this.queue.subarray(this.head, this.tail));
        this.queue = bigger;
      }
      this.head = 0;
      this.tail = live;
    }
    this.queue[this.tail++] = slot;
  }

  /** Room in the per-slot arrays for `slots` slots: as many as the table has room for, so they grow when it does. */
  private fit(slots: number): void {
    if (slots <= this.sent.length) return;
    const n = Math.max(slots, this.table.capacity);
    const sent = new Int32Array(n);
    sent.set(this.sent);
    this.sent = sent;
    const queued = new Uint8Array(n);
    queued.set(this.queued);
    this.queued = queued;
  }

  private sweep(v4: boolean, v6: boolean, force: boolean): void {
    if (this.table.end > 0) this.sweeps.push({ pos: 0, v4, v6, force });
  }

  private reset(): void {
    this.gen = ++lastGeneration;
    this.advertised = 0;
    this.retired.clear();
    this.queued.fill(0);
    this.head = this.tail = 0;
    this.sweeps = [];
  }
}
