// The sending half of an Established session: Adj-RIB-Out -> UPDATEs on the
// connection, as fast as the socket drains and no faster. The initial table
// is followed by End-of-RIB for each negotiated family (RFC 4724 §2); later
// changes go out as they come; ROUTE-REFRESH sends a family again (RFC 2918).
// Attributes (DESIGN.md Routes): ORIGIN IGP; AS_PATH [localAs] on eBGP,
// empty with LOCAL_PREF 100 on iBGP; NEXT_HOP or MP_REACH_NLRI next hop.

import type Logger from 'bunyan';
import { AdjRibOut } from './adj-rib-out.js';
import type { Connection } from './connection.js';
import type { Family, Negotiated } from './negotiate.js';
import type { CodecContext } from './wire/types.js';
import { parseAddress } from './prefix.js';
import { RouteTable } from './routes.js';
import type { RouteSpec, SessionSpec } from './types.js';
import { ChunkWriter, packBatch, type PackContext } from './update-packer.js';
import { AsPathSegmentType, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH, Origin } from './wire/constants.js';
import { encodeEndOfRib, encodePathAttributes } from './wire/index.js';

/**
 * Routes taken from the Adj-RIB-Out per packing round: the first rounds of
 * a flush are small so the first UPDATEs reach the socket (and the peer
 * starts working on them, on another core) while the rest is packed.
 */
export const FIRST_BATCH = 1024;
export const BATCH = 16384;
/** Bytes written per flush round before yielding to the event loop (timers, other sessions). */
const ROUND_BYTES = 4 * 1024 * 1024;

/** Offset of the 4-octet NEXT_HOP value in an encoded attribute block, or -1 (RFC 4271 §4.3 attribute layout). */
function nextHopOffset(block: Uint8Array): number {
  for (let p = 0; p + 3 <= block.length; ) {
    const extended = (block[p] & 0x10) !== 0;
    const len = extended ? (block[p + 2] << 8) | block[p + 3] : block[p + 2];
    const value = p + (extended ? 4 : 3);
    if (block[p + 1] === 3 && len === 4) return value;
    p = value + len;
  }
  return -1;
}

export class Advertiser {
  /** The desired routes; the Adj-RIB-Out follows its changes. */
  private readonly table = new RouteTable();
  private readonly rib = new AdjRibOut(this.table);
  private readonly writer = new ChunkWriter();
  private conn: Connection | null = null;
  private negotiated: Negotiated | null = null;
  private ctx: PackContext | null = null;
  private eorSent = false;
  private scheduled = false;
  /** performance.now() at Established, for the initial table's log line. */
  private startedAt = 0;

  constructor(
    private spec: SessionSpec,
    private readonly log: Logger,
  ) {}

  get advertisedCount(): number {
    return this.rib.advertisedCount;
  }

  get pendingCount(): number {
    return this.rib.pendingCount;
  }

  /** True once the initial table and End-of-RIB are out. */
  get synchronized(): boolean {
    return this.eorSent;
  }

  setSpec(spec: SessionSpec): void {
    const completed = this.spec.routesComplete === false && spec.routesComplete !== false;
    this.spec = spec;
    if (completed) this.schedule(); // the End-of-RIB held back can go now
  }

  setRoutes(routes: readonly RouteSpec[]): void {
    this.table.set(routes, this.log);
    this.schedule();
  }

  /** Established: the peer has nothing from this connection; send everything. */
  start(conn: Connection, negotiated: Negotiated): void {
    this.conn = conn;
    this.negotiated = negotiated;
    this.ctx = sessionPackContext(this.spec.localAs, this.spec.peerAs, negotiated);
    this.eorSent = false;
    this.startedAt = performance.now();
    this.rib.start(negotiated.families);
    this.schedule();
  }

  stop(): void {
    this.conn = null;
    this.negotiated = null;
    this.ctx = null;
    this.eorSent = false;
    this.rib.stop();
    this.writer.flush();
  }

  refresh(family: Family): void {
    this.rib.refresh(family);
    this.schedule();
  }

  /** Flushes on the next turn of the event loop, so changes in one turn go out together. */
  schedule(): void {
    if (this.scheduled || !this.conn || this.conn.congested) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const { conn, negotiated, ctx } = this;
    if (!conn || !negotiated || !ctx || conn.congested || conn.isClosed) return;
    let written = 0;
    let batch = FIRST_BATCH;
    while (this.rib.pendingCount > 0) {
      packBatch(this.rib.take(batch), ctx, this.writer);
      batch = Math.min(batch * 2, BATCH);
      const chunks = this.writer.flush();
      for (const c of chunks) written += c.length;
      if (!conn.sendBulk(chunks)) return; // 'drain' calls schedule()
      if (written >= ROUND_BYTES) {
        this.schedule();
        return;
      }
    }
    if (!this.eorSent && this.spec.routesComplete !== false) {
      this.eorSent = true;
      for (const family of negotiated.families) conn.send(encodeEndOfRib(family === 'ipv4' ? 1 : 2, 1));
      const ms = Math.round(performance.now() - this.startedAt);
      this.log.info({ advertised: this.rib.advertisedCount, families: negotiated.families, ms }, 'initial table sent, End-of-RIB');
    }
  }
}

/**
 * How a session's UPDATEs are packed (DESIGN.md Routes): ORIGIN IGP; AS_PATH
 * [localAs] on eBGP, empty with LOCAL_PREF 100 on iBGP; the negotiated
 * message size (RFC 8654) and AS number width (RFC 6793).
 */
export function sessionPackContext(localAs: number, peerAs: number, n: CodecContext): PackContext {
  const ebgp = localAs !== peerAs;
  const attrCache = new Map<string, Uint8Array>();
  const nextHopCache = new Map<string, Uint8Array>();
  const encodeAttrs = (nextHop: string | undefined): Uint8Array =>
    encodePathAttributes(
      {
        origin: Origin.IGP,
        asPath: ebgp ? [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [localAs] }] : [],
        nextHop,
        localPref: ebgp ? undefined : 100,
      },
      n,
    );
  // IPv4 blocks differ only in the NEXT_HOP value (RFC 4271 §5.1.3): the
  // packer copies one block and writes each next hop into it, so W2 (one
  // next hop per prefix) encodes no block per next hop.
  let template: { block: Uint8Array; nextHopAt: number } | null | undefined;
  return {
    maxLength: n.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH,
    ipv4Template() {
      if (template === undefined) {
        const block = encodeAttrs('0.0.0.0');
        const nextHopAt = nextHopOffset(block);
        template = nextHopAt >= 0 ? { block, nextHopAt } : null;
      }
      return template;
    },
    attributes(family, nextHop) {
      // IPv6 blocks carry no next hop (it goes in MP_REACH_NLRI, RFC 4760 §3): one block.
      const key = family === 'ipv4' ? nextHop : '';
      let a = attrCache.get(key);
      if (!a) {
        a = encodeAttrs(family === 'ipv4' ? nextHop : undefined);
        attrCache.set(key, a);
      }
      return a;
    },
    nextHopBytes(nextHop) {
      let b = nextHopCache.get(nextHop);
      if (!b) {
        b = parseAddress(nextHop).bytes;
        nextHopCache.set(nextHop, b);
      }
      return b;
    },
  };
}
