// Adj-RIB-Out batch -> the fewest UPDATE messages (RFC 4271 §4.3, RFC 4760
// §3-§4): announcements that share a next hop share one attribute block and
// fill each UPDATE up to the negotiated size limit (4096, or 65535 with
// RFC 8654); withdrawals are packed the same way. IPv6 goes in MP_REACH_NLRI
// / MP_UNREACH_NLRI. Messages are written back to back into large chunks,
// so a table of 100,000 routes becomes a handful of socket writes.

import type { RibBatch } from './adj-rib-out.js';
import { nlriLength, writeNlri, type Prefix } from './prefix.js';
import type { NextHop } from './routes.js';
import { Afi, AttrFlag, AttrType, HEADER_LENGTH, MessageType, Safi } from './wire/constants.js';

export interface PackContext {
  /** Largest message allowed on this session. */
  readonly maxLength: number;
  /**
   * The encoded path attributes for routes of this family and next hop:
   * for IPv4 everything including NEXT_HOP; for IPv6 everything but MP_REACH_NLRI.
   */
  attributes(family: 'ipv4' | 'ipv6', nextHop: string): Uint8Array;
  /**
   * The IPv4 attribute block with NEXT_HOP at `nextHopAt` (4 octets), when
   * blocks differ only there: the packer copies it and writes each group's
   * next hop in place, with no block per next hop.
   */
  ipv4Template?(): { readonly block: Uint8Array; readonly nextHopAt: number } | null;
  /** The 16-octet IPv6 next hop. */
  nextHopBytes(nextHop: string): Uint8Array;
}

const DEFAULT_CHUNK = 256 * 1024;

/** Numbers packBatch calls, for the per-batch marks on NextHop objects. */
let packRound = 0;

/** Writes whole messages back to back into chunks of at least `chunkSize` bytes. */
export class ChunkWriter {
  /** The chunk being written: reserve() says where in it. */
  buf: Buffer = Buffer.alloc(0);
  private off = 0;
  private readonly done: Buffer[] = [];

  constructor(private readonly chunkSize = DEFAULT_CHUNK) {}

  /** Room for a message of n bytes in `buf`; returns the offset to write it at. */
  reserve(n: number): number {
    if (this.off + n > this.buf.length) {
      if (this.off > 0) this.done.push(this.buf.subarray(0, this.off));
      this.buf = Buffer.allocUnsafe(Math.max(this.chunkSize, n));
      this.off = 0;
    }
    const at = this.off;
    this.off += n;
    return at;
  }

  /** Bytes written so far, complete chunks and the current one. */
  get length(): number {
    let n = this.off;
    for (const b of this.done) n += b.length;
    return n;
  }

  /** The chunks written; the writer goes on in the unused rest of its chunk. */
  flush(): Buffer[] {
    if (this.off > 0) this.done.push(this.buf.subarray(0, this.off));
    const out = this.done.splice(0);
    this.buf = this.buf.subarray(this.off);
    this.off = 0;
    return out;
  }
}

/** Writes the 19-octet header (RFC 4271 §4.1: marker of all ones, length, type UPDATE); returns the offset after it. */
function writeHeader(buf: Buffer, off: number, length: number): number {
  buf.fill(0xff, off, off + 16);
  buf[off + 16] = length >> 8;
  buf[off + 17] = length & 0xff;
  buf[off + 18] = MessageType.UPDATE;
  return off + HEADER_LENGTH;
}

/** Where the last fit() stopped: the first route that did not fit. */
let fitEnd = 0;

/** How many NLRI bytes the prefixes from `start` take within `budget`; sets fitEnd. */
function fit(prefixes: readonly Prefix[], start: number, budget: number): number {
  let bytes = 0;
  let end = start;
  while (end < prefixes.length) {
    const n = nlriLength(prefixes[end]!);
    if (bytes + n > budget) break;
    bytes += n;
    end++;
  }
  fitEnd = end;
  return bytes;
}

/** Attribute header size: flags, type, 1- or 2-octet length (RFC 4271 §4.3). */
const attrHeader = (valueLength: number): number => (valueLength > 255 ? 4 : 3);

function writeAttrHeader(buf: Buffer, off: number, flags: number, type: number, valueLength: number): number {
  if (valueLength > 255) {
    buf[off] = flags | AttrFlag.EXTENDED_LENGTH;
    buf[off + 1] = type;
    buf.writeUInt16BE(valueLength, off + 2);
    return off + 4;
  }
  buf[off] = flags;
  buf[off + 1] = type;
  buf[off + 2] = valueLength;
  return off + 3;
}

/**
 * Everything of an IPv4 announcement before its NLRI: header, withdrawn
 * length 0, attribute length, attributes. Kept per attribute block, so a
 * message starts with one copy and two patched octets of length.
 */
const ipv4Heads = new WeakMap<Uint8Array, Uint8Array>();

function ipv4Head(attrs: Uint8Array): Uint8Array {
  let head = ipv4Heads.get(attrs);
  if (!head) {
    head = new Uint8Array(HEADER_LENGTH + 4 + attrs.length);
    head.fill(0xff, 0, 16); // RFC 4271 §4.1 marker
    head[18] = MessageType.UPDATE;
    head[HEADER_LENGTH + 2] = attrs.length >> 8;
    head[HEADER_LENGTH + 3] = attrs.length & 0xff;
    head.set(attrs, HEADER_LENGTH + 4);
    ipv4Heads.set(attrs, head);
  }
  return head;
}

function packIpv4Announce(out: ChunkWriter, prefixes: readonly Prefix[], attrs: Uint8Array, maxLength: number, nextHop = -1, nextHopAt = -1): void {
  const head = ipv4Head(attrs);
  const budget = maxLength - head.length;
  if (budget < 5) throw new Error(`path attributes too large for a ${maxLength}-octet UPDATE`);
  const hopAt = HEADER_LENGTH + 4 + nextHopAt;
  for (let i = 0; i < prefixes.length; ) {
    const bytes = fit(prefixes, i, budget);
    const end = fitEnd;
    const total = head.length + bytes;
    const off = out.reserve(total);
    const buf = out.buf;
    buf.set(head, off);
    buf[off + 16] = total >> 8;
    buf[off + 17] = total & 0xff;
    if (nextHopAt >= 0) {
      buf[off + hopAt] = nextHop >>> 24;
      buf[off + hopAt + 1] = (nextHop >>> 16) & 0xff;
      buf[off + hopAt + 2] = (nextHop >>> 8) & 0xff;
      buf[off + hopAt + 3] = nextHop & 0xff;
    }
    let p = off + head.length;
    for (; i < end; i++) p = writeNlri(buf, p, prefixes[i]!);
  }
}

function packIpv4Withdraw(out: ChunkWriter, prefixes: readonly Prefix[], maxLength: number): void {
  const fixed = HEADER_LENGTH + 2 + 2;
  const budget = maxLength - fixed;
  for (let i = 0; i < prefixes.length; ) {
    const bytes = fit(prefixes, i, budget);
    const end = fitEnd;
    const total = fixed + bytes;
    const off = out.reserve(total);
    const buf = out.buf;
    let p = writeHeader(buf, off, total);
    buf.writeUInt16BE(bytes, p);
    p += 2;
    for (; i < end; i++) p = writeNlri(buf, p, prefixes[i]!);
    buf.writeUInt16BE(0, p); // no path attributes
  }
}

function packIpv6Announce(
  out: ChunkWriter,
  prefixes: readonly Prefix[],
  attrs: Uint8Array,
  nextHop: Uint8Array,
  maxLength: number,
): void {
  // MP_REACH_NLRI value: AFI(2) SAFI(1) next hop length(1) next hop, reserved(1), NLRI (RFC 4760 §3)
  const mpFixed = 2 + 1 + 1 + nextHop.length + 1;
  const fixed = HEADER_LENGTH + 2 + 2 + attrs.length;
  const budget = maxLength - fixed - 4 - mpFixed;
  if (budget < 17) throw new Error(`path attributes too large for a ${maxLength}-octet UPDATE`);
  for (let i = 0; i < prefixes.length; ) {
    const bytes = fit(prefixes, i, budget);
    const end = fitEnd;
    const mpLength = mpFixed + bytes;
    const attrTotal = attrs.length + attrHeader(mpLength) + mpLength;
    const total = HEADER_LENGTH + 2 + 2 + attrTotal;
    const off = out.reserve(total);
    const buf = out.buf;
    let p = writeHeader(buf, off, total);
    buf.writeUInt16BE(0, p);
    buf.writeUInt16BE(attrTotal, p + 2);
    buf.set(attrs, p + 4);
    p += 4 + attrs.length;
    p = writeAttrHeader(buf, p, AttrFlag.OPTIONAL, AttrType.MP_REACH_NLRI, mpLength);
    buf.writeUInt16BE(Afi.IPV6, p);
    buf[p + 2] = Safi.UNICAST;
    buf[p + 3] = nextHop.length;
    buf.set(nextHop, p + 4);
    p += 4 + nextHop.length;
    buf[p++] = 0; // reserved
    for (; i < end; i++) p = writeNlri(buf, p, prefixes[i]!);
  }
}

function packIpv6Withdraw(out: ChunkWriter, prefixes: readonly Prefix[], maxLength: number): void {
  const mpFixed = 3; // AFI(2) SAFI(1), RFC 4760 §4
  const budget = maxLength - HEADER_LENGTH - 4 - 4 - mpFixed;
  for (let i = 0; i < prefixes.length; ) {
    const bytes = fit(prefixes, i, budget);
    const end = fitEnd;
    const mpLength = mpFixed + bytes;
    const attrTotal = attrHeader(mpLength) + mpLength;
    const total = HEADER_LENGTH + 4 + attrTotal;
    const off = out.reserve(total);
    const buf = out.buf;
    let p = writeHeader(buf, off, total);
    buf.writeUInt16BE(0, p);
    buf.writeUInt16BE(attrTotal, p + 2);
    p += 4;
    p = writeAttrHeader(buf, p, AttrFlag.OPTIONAL, AttrType.MP_UNREACH_NLRI, mpLength);
    buf.writeUInt16BE(Afi.IPV6, p);
    buf[p + 2] = Safi.UNICAST;
    p += 3;
    for (; i < end; i++) p = writeNlri(buf, p, prefixes[i]!);
  }
}

/** Packs one batch: withdrawals first (per family), then announcements grouped by next hop. */
export function packBatch(batch: RibBatch, ctx: PackContext, out: ChunkWriter): void {
  if (batch.withdraw.length > 0) {
    const v4 = batch.withdraw.filter((p) => p.afi === 1);
    const v6 = batch.withdraw.filter((p) => p.afi === 2);
    if (v4.length) packIpv4Withdraw(out, v4, ctx.maxLength);
    if (v6.length) packIpv6Withdraw(out, v6, ctx.maxLength);
  }
  const { announce, hops: hopOf } = batch;
  if (announce.length === 0) return;
  // Group by the interned next-hop object: a mark on it instead of a map
  // lookup per prefix, and no array for the usual group of one (a Node's
  // pod CIDR with the Node's own next hop).
  const round = ++packRound;
  const hops: NextHop[] = [];
  for (let i = 0; i < announce.length; i++) {
    const p = announce[i]!;
    const h = hopOf[i]!;
    if (h.packRound !== round) {
      h.packRound = round;
      h.packFirst = p;
      h.packGroup = null;
      hops.push(h);
    } else if (h.packGroup) {
      h.packGroup.push(p);
    } else {
      h.packGroup = [h.packFirst!, p];
    }
  }
  const template = ctx.ipv4Template?.() ?? null;
  const one: Prefix[] = [];
  for (const h of hops) {
    let prefixes = h.packGroup;
    if (!prefixes) {
      one[0] = h.packFirst!;
      prefixes = one;
    }
    h.packFirst = null;
    h.packGroup = null;
    if (h.afi === 1) {
      if (template) packIpv4Announce(out, prefixes, template.block, ctx.maxLength, h.v4, template.nextHopAt);
      else packIpv4Announce(out, prefixes, ctx.attributes('ipv4', h.text), ctx.maxLength);
    } else {
      packIpv6Announce(out, prefixes, ctx.attributes('ipv6', h.text), ctx.nextHopBytes(h.text), ctx.maxLength);
    }
  }
}
