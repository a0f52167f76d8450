// The lab's route collector: a minimal passive BGP receiver built on our
// codec. It listens on one address, accepts only declared peers (with their
// TCP MD5 keys, RFC 2385), runs the RFC 4271 §8 passive path (OpenSent →
// OpenConfirm → Established; it never dials and never advertises), applies
// UPDATEs to a per-peer table (RFC 4271 §9, RFC 4760 MP-BGP, RFC 7606
// treat-as-withdraw) and records End-of-RIB markers (RFC 4724 §2). As a
// graceful-restart Receiving Speaker (RFC 4724 §4.2, simplified) it keeps the
// routes of a peer that drops the connection without a NOTIFICATION, marked
// stale, until the peer comes back and sends End-of-RIB, or the peer's
// Restart Time passes.
//
// Memory: a route is one Map entry (prefix key → attributes), and all
// prefixes of one UPDATE share one attributes object, so a million routes fit.

import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type Logger from 'bunyan';
import { systemClock, type Clock } from '../bgp/clock.js';
import type { Family, LocalOpenParams } from '../bgp/negotiate.js';
import { Listener } from '../bgp/transport.js';
import { CeaseSubcode, NotificationCode, encodeNotification, endOfRibFamily, type UpdateMessage } from '../bgp/wire/index.js';
import { PeerConnection, RESTART_TIME } from './collector-connection.js';
import { FAMILIES, PeerState, emptyTable, familyOfKey, ipv4SortKey, sharedAttrs, sortKey, type Attrs } from './collector-rib.js';

export interface CollectorPeer {
  address: string;
  as: number;
  md5Key?: string;
}

export interface CollectorOptions {
  address: string;
  port: number;
  localAs: number;
  routerId: string;
  peers: CollectorPeer[];
  /** Proposed hold time, seconds; default 90. */
  holdTime?: number;
  log: Logger;
  clock?: Clock;
}

export interface CollectedRoute {
  peer: string;
  prefix: string;
  nextHop: string;
  asPath: number[];
  origin: 'IGP' | 'EGP' | 'INCOMPLETE';
  localPref?: number;
  med?: number;
  /** RFC 1997 communities as "asn:value". */
  communities?: string[];
  /** RFC 4724: kept from a session that went down; not yet refreshed by the peer. */
  stale?: boolean;
}

export interface CollectorSession {
  peer: string;
  peerAs: number;
  state: 'Idle' | 'OpenSent' | 'OpenConfirm' | 'Established';
  routerId?: string;
  /** clock.now() at the last state change. */
  since: number;
  /** Routes held from this peer, stale ones included. */
  receivedPrefixes: number;
  /** Families whose End-of-RIB arrived in the current session. */
  endOfRib: Family[];
  lastError?: string;
  /** The peer's capabilities, in words. */
  capabilities: string[];
  gracefulRestart?: { restartTime: number; restarting: boolean; forwarding: string[] };
}

/** What all prefixes of one UPDATE share; stored once per UPDATE. */
const EVENTS = ['established', 'update', 'down', 'endOfRib'] as const;
/** How long stale routes wait for End-of-RIB after the peer is back (RFC 4724 §4.2 leaves it local). */
const STALE_SECONDS = 360;

export interface Collector {
  on(event: 'established', fn: (peer: string) => void): this;
  on(event: 'update', fn: (peer: string) => void): this;
  on(event: 'down', fn: (peer: string, reason: string) => void): this;
  on(event: 'endOfRib', fn: (peer: string, family: Family) => void): this;
}

export class Collector extends EventEmitter {
  readonly log: Logger;
  readonly clock: Clock;
  readonly localParams: LocalOpenParams;
  private readonly peers = new Map<string, PeerState<PeerConnection>>();
  private closing = false;

  private constructor(
    opts: CollectorOptions,
    private readonly listener: Listener,
  ) {
    super();
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.localParams = Object.freeze({
      localAs: opts.localAs,
      routerId: opts.routerId,
      holdTime: opts.holdTime ?? 90,
      families: ['ipv4', 'ipv6'] as Family[],
      gracefulRestart: { enabled: true, restartTime: RESTART_TIME },
      restarting: false,
    });
    for (const p of opts.peers) {
      const state: PeerState<PeerConnection> = new PeerState<PeerConnection>(p, this.clock, () => this.staleExpired(state));
      this.peers.set(state.address, state);
    }
    listener.on('connection', (socket, address) => this.accept(socket, address));
    listener.on('rejected', (address) => this.log.info({ peer: address }, 'connection from undeclared address refused'));
    listener.on('error', (err) => this.log.error({ err }, 'listener error'));
  }

  static async start(opts: CollectorOptions): Promise<Collector> {
    const listener = await Listener.open({ address: opts.address, port: opts.port });
    try {
      for (const p of opts.peers) listener.setPeer(p.address, p.md5Key);
    } catch (e) {
      await listener.close();
      throw e;
    }
    const c = new Collector(opts, listener);
    c.log.info({ address: listener.address(), peers: opts.peers.map((p) => p.address) }, 'collector listening');
    return c;
  }

  address(): { address: string; port: number } {
    return this.listener.address();
  }

  sessions(): CollectorSession[] {
    return [...this.peers.values()].map((p) => ({
      ...p.status,
      receivedPrefixes: p.count(),
      endOfRib: [...p.status.endOfRib],
      capabilities: [...p.status.capabilities],
      ...(p.status.gracefulRestart ? { gracefulRestart: { ...p.status.gracefulRestart, forwarding: [...p.status.gracefulRestart.forwarding] } } : {}),
    }));
  }

  routes(): CollectedRoute[] {
    const rows: { v4: number; v6: string; route: CollectedRoute }[] = [];
    for (const p of this.peers.values()) {
      for (const [table, stale] of [[p.rib, false], [p.stale, true]] as const) {
        for (const f of FAMILIES) {
          for (const [prefix, a] of table[f]) {
            const route: CollectedRoute = { peer: p.address, prefix, nextHop: a.nextHop, asPath: [...a.asPath], origin: a.origin };
            if (a.localPref !== undefined) route.localPref = a.localPref;
            if (a.med !== undefined) route.med = a.med;
            if (a.communities !== undefined) route.communities = [...a.communities];
            if (stale) route.stale = true;
            const v4 = ipv4SortKey(prefix);
            rows.push({ v4, v6: v4 < 0 ? sortKey(prefix) : '', route });
          }
        }
      }
    }
    // IPv4 (numeric key) before IPv6 (fixed-width hex key), then by peer.
    rows.sort((x, y) => {
      if (x.v4 !== y.v4) return x.v4 < 0 ? 1 : y.v4 < 0 ? -1 : x.v4 - y.v4;
      if (x.v6 !== y.v6) return x.v6 < y.v6 ? -1 : 1;
      return x.route.peer < y.route.peer ? -1 : x.route.peer > y.route.peer ? 1 : 0;
    });
    return rows.map((r) => r.route);
  }

  routeCount(): number {
    let n = 0;
    for (const p of this.peers.values()) n += p.count();
    return n;
  }

  waitFor(pred: (c: Collector) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(poll);
        for (const e of EVENTS) this.off(e, check);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        try {
          if (pred(this)) finish();
        } catch (e) {
          finish(e as Error);
        }
      };
      // Real time on purpose: this waits for real peers, whatever clock the sessions use.
      const timer = setTimeout(() => {
        const states = this.sessions().map((s) => `${s.peer} ${s.state}${s.lastError ? ` (${s.lastError})` : ''}, ${s.receivedPrefixes} routes`);
        finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; sessions: ${states.join('; ') || 'none'}`));
      }, timeoutMs);
      const poll = setInterval(check, 50);
      for (const e of EVENTS) (this as EventEmitter).on(e, check);
      check();
    });
  }

  /** Stops listening and ends every session with Cease / Administrative Shutdown (RFC 4486). */
  async close(): Promise<void> {
    this.closing = true;
    await this.listener.close();
    const waits: Promise<void>[] = [];
    for (const p of this.peers.values()) {
      p.staleTimer.stop();
      const conn = p.conn;
      if (conn && !conn.closed) {
        conn.notifyAndClose(NotificationCode.CEASE, CeaseSubcode.ADMINISTRATIVE_SHUTDOWN);
        conn.down('collector closed', true);
      }
      if (conn) waits.push(conn.done);
    }
    await Promise.all(waits);
  }

  private accept(socket: net.Socket, address: string): void {
    const peer = this.peers.get(address);
    if (!peer || this.closing) {
      socket.destroy();
      return;
    }
    if (peer.conn && !peer.conn.closed && !peer.conn.socket.destroyed) {
      // One session per peer: the live one stays (RFC 4486 §3 Connection Rejected).
      this.log.info({ peer: address }, 'second connection rejected');
      socket.on('error', () => undefined);
      socket.end(encodeNotification(NotificationCode.CEASE, CeaseSubcode.CONNECTION_REJECTED));
      this.clock.setTimeout(() => socket.destroy(), 2000);
      return;
    }
    peer.conn = new PeerConnection(this, peer, socket);
    peer.conn.start();
  }

  /** @internal */
  onEstablished(conn: PeerConnection): void {
    const p = conn.peer;
    const n = conn.negotiated!;
    // RFC 4724 §4.2: stale routes of a family the peer no longer preserves
    // (no GR capability, or the family absent from it) go at once; the rest
    // wait for End-of-RIB, bounded by a local timer.
    const grFamilies = new Set<Family>();
    if (n.gracefulRestart.peer) for (const f of n.families) grFamilies.add(f);
    for (const f of FAMILIES) if (!grFamilies.has(f) && p.stale[f].size > 0) p.dropStale(f);
    if (p.stale.ipv4.size + p.stale.ipv6.size > 0) p.staleTimer.start(STALE_SECONDS * 1000);
    this.emit('established', p.address);
  }

  /** @internal */
  onDown(conn: PeerConnection, reason: string, wasEstablished: boolean, keepStale: boolean): void {
    const p = conn.peer;
    if (p.conn !== conn) return;
    if (keepStale) {
      p.markStale();
      // RFC 4724 §4.2: the Restart Time bounds how long stale routes wait for the peer.
      const restartTime = conn.negotiated!.gracefulRestart.peerRestartTime;
      p.staleTimer.start(restartTime * 1000);
      this.log.info({ peer: p.address, stale: p.count(), restartTime }, 'peer down, routes kept as stale');
    } else if (wasEstablished) {
      p.rib = emptyTable();
      p.dropStale();
    }
    // A connection that never reached Established held no routes; stale ones
    // of an earlier session stay under their timer (the peer is still restarting).
    this.emit('down', p.address, reason);
  }

  private staleExpired(p: PeerState<PeerConnection>): void {
    const n = p.dropStale();
    this.log.info({ peer: p.address, dropped: n }, 'stale routes expired');
    this.emit('update', p.address);
  }

  /** @internal RFC 4271 §9.1 (simplified: one table per peer, no decision process) and RFC 7606. */
  applyUpdate(conn: PeerConnection, m: UpdateMessage): void {
    const p = conn.peer;
    const eor = endOfRibFamily(m);
    if (eor !== null) {
      const family: Family | null = eor.safi !== 1 ? null : eor.afi === 1 ? 'ipv4' : eor.afi === 2 ? 'ipv6' : null;
      if (family) {
        if (!p.status.endOfRib.includes(family)) p.status.endOfRib.push(family);
        // RFC 4724 §4.2: stale routes the restarted peer did not refresh are removed.
        const dropped = p.dropStale(family);
        if (dropped > 0) this.log.info({ peer: p.address, family, dropped }, 'stale routes removed after End-of-RIB');
        this.emit('endOfRib', p.address, family);
      }
      return;
    }
    const withdraw = (prefix: string): void => {
      const f = familyOfKey(prefix);
      p.rib[f].delete(prefix);
      p.stale[f].delete(prefix);
    };
    for (const w of m.withdrawn) withdraw(w.key);
    if (m.mpUnreach && m.mpUnreach.safi === 1) for (const w of m.mpUnreach.withdrawn) withdraw(w.key);
    // Only unicast IPv4/IPv6 is negotiated; prefixes carry their AFI in their key.
    const mpNlri = m.mpReach !== undefined && m.mpReach.safi === 1 ? m.mpReach.nlri : [];
    if (m.treatAsWithdraw !== undefined) {
      // RFC 7606 §2: treat-as-withdraw removes every prefix the UPDATE announced.
      this.log.warn({ peer: p.address, problem: m.treatAsWithdraw }, 'update treated as withdraw');
      for (const n of m.nlri) withdraw(n.key);
      for (const n of mpNlri) withdraw(n.key);
    } else {
      const a = m.attributes;
      const shared = sharedAttrs(a, conn.negotiated!.as4);
      if (m.nlri.length > 0) {
        const attrs: Attrs = { nextHop: a.nextHop ?? '', ...shared };
        for (const n of m.nlri) this.announce(p, n.key, attrs);
      }
      if (m.mpReach !== undefined && mpNlri.length > 0) {
        const attrs: Attrs = { nextHop: m.mpReach.nextHops[0] ?? '', ...shared };
        for (const n of mpNlri) this.announce(p, n.key, attrs);
      }
    }
    this.emit('update', p.address);
  }

  private announce(p: PeerState<PeerConnection>, prefix: string, attrs: Attrs): void {
    const f = familyOfKey(prefix);
    p.stale[f].delete(prefix);
    p.rib[f].set(prefix, attrs);
  }
}

