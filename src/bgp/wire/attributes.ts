// Path attributes (RFC 4271 §4.3, §5) driven by one table: for each type
// code the flags it must carry, its decoder, its encoder and the RFC 7606
// action when it is malformed (treat-as-withdraw, attribute discard or
// session reset), and the AS4_PATH / AS4_AGGREGATOR handling of RFC 6793
// §4.2.2 for sessions without 4-octet AS support. MP_REACH_NLRI and
// MP_UNREACH_NLRI (RFC 4760) sit in the table; their codec lives in mp.ts.

import { AS_TRANS, AttrFlag, AttrType } from './constants.js';
import { BgpError } from './errors.js';
import { attributeHeaderLength, decodeMpReach, decodeMpUnreach, encodeMpReachAttribute, encodeMpUnreachAttribute } from './mp.js';
import type { AsPathSegment, CodecContext, MpReachNlri, MpUnreachNlri, PathAttributes, RawAttribute } from './types.js';
import { Writer } from './writer.js';
import { formatAddress, parseAddress } from '../prefix.js';

export { attributeHeaderLength, encodeMpReachAttribute, encodeMpUnreachAttribute };

/** RFC 7606 §2 approaches to a malformed attribute. */
export type ErrorAction = 'treat-as-withdraw' | 'attribute-discard' | 'session-reset';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What decoding the attributes of one UPDATE produced. */
export interface DecodedAttributes {
  attributes: Mutable<PathAttributes> & { unknown?: RawAttribute[] };
  mpReach?: MpReachNlri;
  mpUnreach?: MpUnreachNlri;
  /** Type codes seen (first occurrence), malformed or not. */
  readonly seen: Uint8Array;
  /** RFC 7606 treat-as-withdraw reasons. */
  readonly withdrawReasons: string[];
  /** RFC 7606 attribute-discard reasons. */
  readonly discarded: string[];
}

export interface AttributeDescriptor {
  readonly typeCode: number;
  readonly name: string;
  /** Optional (0x80) and Transitive (0x40) bits the attribute must carry, RFC 4271 §5. */
  readonly flags: number;
  /** RFC 7606 action when the attribute is malformed, a flags error included (RFC 7606 §3 c). */
  readonly onError: ErrorAction;
  /** NOTIFICATION subcode when onError is session-reset. */
  readonly resetSubcode?: number;
  /** Stores the value; returns a sentence naming the problem, or null when it is well formed. */
  readonly decode: (value: Uint8Array, ctx: CodecContext, out: DecodedAttributes, flags: number) => string | null;
  /** Value octets for the attribute, or null when `a` does not carry it. */
  readonly encode?: (a: PathAttributes, ctx: CodecContext) => Uint8Array | null;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const OPTIONAL_NON_TRANSITIVE = AttrFlag.OPTIONAL;

function u32(v: Uint8Array, i: number): number {
  return v[i] * 0x1000000 + ((v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]);
}

function putU32(v: Uint8Array, i: number, n: number): void {
  v[i] = (n >>> 24) & 0xff;
  v[i + 1] = (n >>> 16) & 0xff;
  v[i + 2] = (n >>> 8) & 0xff;
  v[i + 3] = n & 0xff;
}

function ipv4(text: string, what: string): Uint8Array {
  const a = parseAddress(text);
  if (a.afi !== 1) throw new Error(`${what} "${text}" is not an IPv4 address`);
  return a.bytes;
}

/** RFC 4271 §4.3 path segments with `width`-octet ASNs; a problem sentence when malformed (RFC 7606 §7.2). */
function decodeAsPath(v: Uint8Array, width: 2 | 4): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  let p = 0;
  while (p < v.length) {
    if (v.length - p < 2) return 'a segment header is truncated';
    const type = v[p];
    const count = v[p + 1];
    if (type !== 1 && type !== 2) return `unrecognized segment type ${type}`;
    if (count === 0) return 'a segment has length zero';
    if (p + 2 + count * width > v.length) return 'a segment overruns the attribute';
    const asns: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = p + 2 + i * width;
      asns[i] = width === 4 ? u32(v, o) : (v[o] << 8) | v[o + 1];
    }
    segments.push({ type, asns });
    p += 2 + count * width;
  }
  return segments;
}

/** Encodes segments, splitting AS_SEQUENCEs longer than 255; ASNs above 65535 become AS_TRANS when width is 2. */
function encodeAsPath(segments: readonly AsPathSegment[], width: 2 | 4): Uint8Array {
  const w = new Writer(64);
  for (const s of segments) {
    if (s.asns.length > 255 && s.type !== 2) throw new Error(`AS_SET of ${s.asns.length} ASNs cannot be encoded`);
    for (let start = 0; start < s.asns.length; start += 255) {
      const part = s.asns.slice(start, start + 255);
      w.u8(s.type).u8(part.length);
      for (const asn of part) {
        if (width === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
    }
  }
  return w.finish();
}

function hasWideAsn(segments: readonly AsPathSegment[] | undefined): boolean {
  return segments !== undefined && segments.some((s) => s.asns.some((a) => a > 0xffff));
}

function fixedU32(name: string, field: 'med' | 'localPref'): AttributeDescriptor['decode'] {
  return (v, _ctx, out) => {
    if (v.length !== 4) return `${name} length ${v.length}, expected 4`;
    out.attributes[field] = u32(v, 0);
    return null;
  };
}

function encodeU32(n: number | undefined): Uint8Array | null {
  if (n === undefined) return null;
  const v = new Uint8Array(4);
  putU32(v, 0, n);
  return v;
}

/** Validates the length and keeps the attribute uninterpreted in `unknown` (passed through as is). */
function keepRaw(typeCode: number, multiple: number, name: string): AttributeDescriptor['decode'] {
  return (v, _ctx, out, flags) => {
    if (multiple > 0 && (v.length === 0 || v.length % multiple !== 0)) {
      return `${name} length ${v.length} is not a non-zero multiple of ${multiple}`;
    }
    (out.attributes.unknown ??= []).push({ flags, typeCode, value: new Uint8Array(v) });
    return null;
  };
}

function aggregator(v: Uint8Array, width: 2 | 4): { asn: number; address: string } {
  return width === 4
    ? { asn: u32(v, 0), address: formatAddress(1, v.subarray(4, 8)) }
    : { asn: (v[0] << 8) | v[1], address: formatAddress(1, v.subarray(2, 6)) };
}

function encodeAggregator(asn: number, address: string, width: 2 | 4): Uint8Array {
  const v = new Uint8Array(width + 4);
  if (width === 4) putU32(v, 0, asn);
  else {
    const a = asn > 0xffff ? AS_TRANS : asn;
    v[0] = a >> 8;
    v[1] = a & 0xff;
  }
  v.set(ipv4(address, 'AGGREGATOR address'), width);
  return v;
}

const DESCRIPTORS: AttributeDescriptor[] = [
  {
    typeCode: AttrType.ORIGIN,
    name: 'ORIGIN',
    flags: WELL_KNOWN,
    onError: 'treat-as-withdraw', // RFC 7606 §7.1
    decode: (v, _ctx, out) => {
      if (v.length !== 1) return `ORIGIN length ${v.length}, expected 1`;
      if (v[0] > 2) return `ORIGIN value ${v[0]} is undefined`;
      out.attributes.origin = v[0] as 0 | 1 | 2;
      return null;
    },
    encode: (a) => (a.origin === undefined ? null : Uint8Array.of(a.origin)),
  },
  {
    typeCode: AttrType.AS_PATH,
    name: 'AS_PATH',
    flags: WELL_KNOWN,
    onError: 'treat-as-withdraw', // RFC 7606 §7.2
    decode: (v, ctx, out) => {
      const r = decodeAsPath(v, ctx.as4 ? 4 : 2);
      if (typeof r === 'string') return `AS_PATH is malformed: ${r}`;
      out.attributes.asPath = r;
      return null;
    },
    encode: (a, ctx) => (a.asPath === undefined ? null : encodeAsPath(a.asPath, ctx.as4 ? 4 : 2)),
  },
  {
    typeCode: AttrType.NEXT_HOP,
    name: 'NEXT_HOP',
    flags: WELL_KNOWN,
    onError: 'treat-as-withdraw', // RFC 7606 §7.3
    decode: (v, _ctx, out) => {
      if (v.length !== 4) return `NEXT_HOP length ${v.length}, expected 4`;
      out.attributes.nextHop = formatAddress(1, v);
      return null;
    },
    encode: (a) => (a.nextHop === undefined ? null : ipv4(a.nextHop, 'NEXT_HOP')),
  },
  {
    typeCode: AttrType.MULTI_EXIT_DISC,
    name: 'MULTI_EXIT_DISC',
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: 'treat-as-withdraw', // RFC 7606 §7.4
    decode: fixedU32('MULTI_EXIT_DISC', 'med'),
    encode: (a) => encodeU32(a.med),
  },
  {
    typeCode: AttrType.LOCAL_PREF,
    name: 'LOCAL_PREF',
    flags: WELL_KNOWN,
    // RFC 7606 §7.5: treat-as-withdraw for a bad length (from an internal peer; ignoring it
    // from an external peer is the session's business, it knows the peer type).
    onError: 'treat-as-withdraw',
    decode: fixedU32('LOCAL_PREF', 'localPref'),
    encode: (a) => encodeU32(a.localPref),
  },
  {
    typeCode: AttrType.ATOMIC_AGGREGATE,
    name: 'ATOMIC_AGGREGATE',
    flags: WELL_KNOWN,
    onError: 'attribute-discard', // RFC 7606 §7.6
    decode: (v, _ctx, out) => {
      if (v.length !== 0) return `ATOMIC_AGGREGATE length ${v.length}, expected 0`;
      out.attributes.atomicAggregate = true;
      return null;
    },
    encode: (a) => (a.atomicAggregate ? new Uint8Array(0) : null),
  },
  {
    typeCode: AttrType.AGGREGATOR,
    name: 'AGGREGATOR',
    flags: OPTIONAL_TRANSITIVE,
    onError: 'attribute-discard', // RFC 7606 §7.7
    decode: (v, ctx, out) => {
      const width = ctx.as4 ? 4 : 2;
      if (v.length !== width + 4) return `AGGREGATOR length ${v.length}, expected ${width + 4}`;
      out.attributes.aggregator = aggregator(v, width);
      return null;
    },
    encode: (a, ctx) => (a.aggregator === undefined ? null : encodeAggregator(a.aggregator.asn, a.aggregator.address, ctx.as4 ? 4 : 2)),
  },
  {
    typeCode: AttrType.COMMUNITIES,
    name: 'COMMUNITIES',
    flags: OPTIONAL_TRANSITIVE,
    onError: 'treat-as-withdraw', // RFC 7606 §7.8
    decode: (v, _ctx, out) => {
      if (v.length === 0 || v.length % 4 !== 0) return `COMMUNITIES length ${v.length} is not a non-zero multiple of 4`;
      const c: number[] = new Array(v.length / 4);
      for (let i = 0; i < c.length; i++) c[i] = u32(v, i * 4);
      out.attributes.communities = c;
      return null;
    },
    encode: (a) => {
      if (a.communities === undefined || a.communities.length === 0) return null;
      const v = new Uint8Array(a.communities.length * 4);
      a.communities.forEach((c, i) => putU32(v, i * 4, c));
      return v;
    },
  },
  {
    typeCode: AttrType.MP_REACH_NLRI,
    name: 'MP_REACH_NLRI',
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: 'session-reset', // RFC 7606 §7.11, RFC 4760 §7
    resetSubcode: 9,
    decode: decodeMpReach,
  },
  {
    typeCode: AttrType.MP_UNREACH_NLRI,
    name: 'MP_UNREACH_NLRI',
    flags: OPTIONAL_NON_TRANSITIVE,
    onError: 'session-reset', // RFC 7606 §7.11, RFC 4760 §7
    resetSubcode: 9,
    decode: decodeMpUnreach,
  },
  {
    typeCode: AttrType.EXTENDED_COMMUNITIES,
    name: 'EXTENDED_COMMUNITIES',
    flags: OPTIONAL_TRANSITIVE,
    onError: 'treat-as-withdraw', // RFC 7606 §7.14
    decode: keepRaw(AttrType.EXTENDED_COMMUNITIES, 8, 'EXTENDED_COMMUNITIES'),
  },
  {
    typeCode: AttrType.AS4_PATH,
    name: 'AS4_PATH',
    flags: OPTIONAL_TRANSITIVE,
    onError: 'attribute-discard', // RFC 6793 §6
    decode: (v, ctx, out) => {
      const r = decodeAsPath(v, 4);
      if (typeof r === 'string') return `AS4_PATH is malformed: ${r}`;
      // RFC 6793 §4.1: a NEW speaker never sends AS4_PATH to a NEW speaker; one received is discarded.
      if (ctx.as4) {
        out.discarded.push('AS4_PATH received on a 4-octet AS session was discarded (RFC 6793 §4.1)');
        return null;
      }
      out.attributes.as4Path = r;
      return null;
    },
    encode: (a, ctx) => {
      // RFC 6793 §4.2.2: only towards an OLD speaker, and only when some ASN does not fit 2 octets.
      if (ctx.as4) return null;
      if (a.as4Path !== undefined) return encodeAsPath(a.as4Path, 4);
      return hasWideAsn(a.asPath) ? encodeAsPath(a.asPath!, 4) : null;
    },
  },
  {
    typeCode: AttrType.AS4_AGGREGATOR,
    name: 'AS4_AGGREGATOR',
    flags: OPTIONAL_TRANSITIVE,
    onError: 'attribute-discard', // RFC 6793 §6
    decode: (v, ctx, out) => {
      if (v.length !== 8) return `AS4_AGGREGATOR length ${v.length}, expected 8`;
      if (ctx.as4) {
        out.discarded.push('AS4_AGGREGATOR received on a 4-octet AS session was discarded (RFC 6793 §4.1)');
        return null;
      }
      out.attributes.as4Aggregator = aggregator(v, 4);
      return null;
    },
    encode: (a, ctx) => {
      if (ctx.as4) return null;
      const agg = a.as4Aggregator ?? (a.aggregator && a.aggregator.asn > 0xffff ? a.aggregator : undefined);
      return agg ? encodeAggregator(agg.asn, agg.address, 4) : null;
    },
  },
  {
    typeCode: AttrType.LARGE_COMMUNITY,
    name: 'LARGE_COMMUNITY',
    flags: OPTIONAL_TRANSITIVE,
    onError: 'treat-as-withdraw', // RFC 8092 §5
    decode: keepRaw(AttrType.LARGE_COMMUNITY, 12, 'LARGE_COMMUNITY'),
  },
];

/** The attribute table, indexed by type code. */
export const ATTRIBUTES: readonly (AttributeDescriptor | undefined)[] = (() => {
  const t: (AttributeDescriptor | undefined)[] = new Array(256).fill(undefined);
  for (const d of DESCRIPTORS) t[d.typeCode] = d;
  return t;
})();

function writeAttribute(w: Writer, flags: number, typeCode: number, value: Uint8Array): void {
  if (value.length > 0xffff) throw new Error(`attribute ${typeCode} value of ${value.length} octets is too long`);
  if (value.length > 255) w.u8(flags | AttrFlag.EXTENDED_LENGTH).u8(typeCode).u16(value.length);
  else w.u8(flags & ~AttrFlag.EXTENDED_LENGTH).u8(typeCode).u8(value.length);
  w.bytes(value);
}

/**
 * The path attributes (without MP_REACH/MP_UNREACH), in type code order, as
 * they go into an UPDATE after the Total Path Attribute Length.
 */
export function encodePathAttributes(a: PathAttributes, ctx: CodecContext): Uint8Array {
  const w = new Writer(128);
  const unknown = [...(a.unknown ?? [])].sort((x, y) => x.typeCode - y.typeCode);
  let u = 0;
  for (const d of DESCRIPTORS) {
    while (u < unknown.length && unknown[u].typeCode < d.typeCode) {
      writeAttribute(w, unknown[u].flags, unknown[u].typeCode, unknown[u].value);
      u++;
    }
    const value = d.encode?.(a, ctx);
    if (value != null) writeAttribute(w, d.flags, d.typeCode, value);
  }
  for (; u < unknown.length; u++) writeAttribute(w, unknown[u].flags, unknown[u].typeCode, unknown[u].value);
  return w.finish();
}

/**
 * Decodes the Path Attributes field `buf[start, end)` of an UPDATE under
 * RFC 7606: returns what was read plus treat-as-withdraw and discard
 * reasons; throws BgpError only for the session-reset cases.
 */
export function decodePathAttributes(buf: Uint8Array, start: number, end: number, ctx: CodecContext): DecodedAttributes {
  const out: DecodedAttributes = { attributes: {}, seen: new Uint8Array(256), withdrawReasons: [], discarded: [] };
  let p = start;
  while (p < end) {
    // RFC 7606 §4: too few octets for a header, or a length past the field, is treat-as-withdraw;
    // the Total Path Attribute Length still locates the NLRI.
    if (end - p < 3 || ((buf[p] & AttrFlag.EXTENDED_LENGTH) !== 0 && end - p < 4)) {
      out.withdrawReasons.push(`${end - p} octets left in the path attributes are too few for an attribute header`);
      break;
    }
    const flags = buf[p];
    const typeCode = buf[p + 1];
    const ext = (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
    const hdr = ext ? 4 : 3;
    const len = ext ? (buf[p + 2] << 8) | buf[p + 3] : buf[p + 2];
    const d = ATTRIBUTES[typeCode];
    const name = d?.name ?? `attribute ${typeCode}`;
    if (p + hdr + len > end) {
      // An MP attribute cut short hides NLRI we cannot withdraw: the more severe error wins.
      if (d?.onError === 'session-reset') {
        throw new BgpError(3, 1, undefined, `${name} length ${len} overruns the path attributes`);
      }
      out.withdrawReasons.push(`${name} length ${len} overruns the path attributes`);
      break;
    }
    const value = buf.subarray(p + hdr, p + hdr + len);
    const raw = buf.subarray(p, p + hdr + len);
    p += hdr + len;
    if (out.seen[typeCode]) {
      // RFC 7606 §3 g: a repeated MP_REACH/MP_UNREACH is Malformed Attribute List; other repeats are dropped.
      if (typeCode === AttrType.MP_REACH_NLRI || typeCode === AttrType.MP_UNREACH_NLRI) {
        throw new BgpError(3, 1, undefined, `${name} appears more than once`);
      }
      out.discarded.push(`repeated ${name} was discarded`);
      continue;
    }
    out.seen[typeCode] = 1;
    if (d === undefined) {
      // RFC 4271 §6.3: an unrecognized well-known attribute; data is the attribute.
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        throw new BgpError(3, 2, new Uint8Array(raw), `unrecognized well-known attribute ${typeCode}`);
      }
      (out.attributes.unknown ??= []).push({ flags, typeCode, value: new Uint8Array(value) });
      continue;
    }
    let problem: string | null;
    let subcode = d.resetSubcode ?? 1;
    // RFC 4271 §5: Partial is 0 for well-known and for optional non-transitive attributes.
    const partialMustBeZero = (d.flags & AttrFlag.OPTIONAL) === 0 || (d.flags & AttrFlag.TRANSITIVE) === 0;
    if ((flags & 0xc0) !== d.flags || (partialMustBeZero && (flags & AttrFlag.PARTIAL) !== 0)) {
      // RFC 7606 §3 c: a flags conflict makes the attribute malformed.
      problem = `${name} has flags 0x${flags.toString(16)}, expected 0x${d.flags.toString(16)}`;
      subcode = 4;
    } else {
      try {
        problem = d.decode(value, ctx, out, flags);
      } catch (err) {
        if (err instanceof BgpError) throw new BgpError(err.code, err.subcode, new Uint8Array(raw), err.message);
        throw err;
      }
    }
    if (problem === null) continue;
    if (d.onError === 'session-reset') throw new BgpError(3, subcode, new Uint8Array(raw), problem);
    if (d.onError === 'treat-as-withdraw') out.withdrawReasons.push(problem);
    else out.discarded.push(`${problem}; the attribute was discarded`);
  }
  return out;
}
