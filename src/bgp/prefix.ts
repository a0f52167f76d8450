// IP prefixes as the speaker carries them: parsed once (with ip-address),
// held as NLRI bytes (RFC 4271 §4.3: length octet + the fewest octets that
// hold `length` bits), with a canonical text key used by every table.
// IPv6 text follows RFC 5952 §4 (lower case, no leading zeros, the longest
// run of two or more zero groups shortened to "::", the first on a tie) and
// §5 (IPv4-mapped addresses end in dotted quad).

import type * as IpAddress from 'ip-address';
import { onFirstUse } from './lazy.js';

/** Plain dotted quads (every address and pod CIDR of an IPv4 cluster) never need it. */
const ipAddress = onFirstUse<typeof IpAddress>('ip-address');

export interface Prefix {
  /** 1 = IPv4, 2 = IPv6 (Afi). */
  readonly afi: 1 | 2;
  /** Prefix length in bits. */
  readonly length: number;
  /** ceil(length / 8) octets of the address, host bits zero. */
  readonly bytes: Uint8Array;
  /** Canonical text, e.g. "10.244.1.0/24" or "2001:db8:1::/64"; equal prefixes have equal keys. */
  readonly key: string;
}

const MAX_BITS = [0, 32, 128] as const;
const ADDRESS_OCTETS = [0, 4, 16] as const;

/** 1 for IPv4 text, 2 for IPv6 text, null when it is neither. */
export function addressFamily(text: string): 1 | 2 | null {
  if (ipv4Number(text) >= 0) return 1;
  const { Address4, Address6 } = ipAddress();
  if (text.includes(':')) return Address6.isValid(text) && !text.includes('/') ? 2 : null;
  return Address4.isValid(text) && !text.includes('/') ? 1 : null;
}

/** Parses an IP address (no prefix length); throws an Error naming the text. */
export function parseAddress(text: string): { afi: 1 | 2; bytes: Uint8Array } {
  if (typeof text !== 'string' || text.length === 0) throw new Error(`"${String(text)}" is not an IP address`);
  if (text.includes('/')) throw new Error(`"${text}" is not an IP address: it has a prefix length`);
  if (text.includes('%')) throw new Error(`"${text}" is not an IP address: zone indexes are not allowed`);
  // Fast path for plain dotted quads (no leading zeros): parsing with
  // ip-address took ~4 µs per prefix, 0.4 s of a 100,000-route table
  // (bench/run.js W1-100k, ours-core start -> Established 1.3 s).
  const v4 = parseDottedQuad(text);
  if (v4) return { afi: 1, bytes: v4 };
  try {
    const { Address4, Address6 } = ipAddress();
    if (text.includes(':')) {
      const a = new Address6(text);
      return { afi: 2, bytes: Uint8Array.from(a.toUnsignedByteArray()) };
    }
    const a = new Address4(text);
    return { afi: 1, bytes: Uint8Array.from(a.toArray()) };
  } catch (err) {
    throw new Error(`"${text}" is not an IP address: ${(err as Error).message}`);
  }
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or -1 for any other text. */
export function ipv4Number(text: string): number {
  return dottedQuad(text, 0, text.length);
}

/** Four decimal octets 0..255 without leading zeros, else null (the caller falls back to ip-address). */
function parseDottedQuad(text: string): Uint8Array | null {
  const v = dottedQuad(text, 0, text.length);
  return v < 0 ? null : Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/**
 * text[from, to) as four decimal octets 0..255 without leading zeros: the
 * address as an unsigned 32-bit number, or -1.
 */
function dottedQuad(text: string, from: number, to: number): number {
  let addr = 0;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 3) return -1;
      addr = addr * 256 + value;
      part++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return -1; // leading zero
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return -1;
    } else {
      return -1;
    }
  }
  return part === 4 ? addr : -1;
}

/**
 * An IPv4 prefix held as one 32-bit number instead of an octet array: a
 * table of 1,000,000 pod CIDRs keeps one small object per prefix, and NLRI
 * is written straight from the number. `bytes` is made only when asked for.
 */
export class Ipv4Prefix implements Prefix {
  constructor(
    /** The address, host bits zero, as a signed 32-bit integer (a small integer in V8, no heap number). */
    readonly addr: number,
    readonly length: number,
    readonly key: string,
  ) {}

  /** On the prototype, not in each object: three fields make the whole object. */
  get afi(): 1 {
    return 1;
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array((this.length + 7) >> 3);
    for (let i = 0; i < out.length; i++) out[i] = (this.addr >>> (24 - 8 * i)) & 0xff;
    return out;
  }
}

/** What scanIpv4Prefix found. */
export const scanned = { addr: 0, length: 0 };

/**
 * Whether `text` is a canonical IPv4 prefix such as "10.244.1.0/24" (no
 * leading zeros, no host bits); if so its address (signed 32-bit) and
 * length are in `scanned`. Nothing is allocated: a route table looks up
 * 1,000,000 pod CIDRs this way.
 */
export function scanIpv4Prefix(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return false;
  // dottedQuad rejects leading zeros, so an address it accepts is canonical text.
  const addr = dottedQuad(text, 0, slash);
  if (addr < 0) return false;
  let length = 0;
  const lenDigits = text.length - slash - 1;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return false;
    length = length * 10 + c;
  }
  if (lenDigits === 0 || lenDigits > 2 || length > 32 || (lenDigits > 1 && text.charCodeAt(slash + 1) === 48)) return false;
  const hostMask = length === 32 ? 0 : 0xffffffff >>> length;
  if ((addr & hostMask) !== 0) return false; // host bits: the general path explains
  scanned.addr = addr | 0;
  scanned.length = length;
  return true;
}

/**
 * The common case, a canonical IPv4 prefix, without intermediate arrays or
 * a formatted key (the text is the key). Returns null for anything else,
 * which the general path then parses or rejects with its message. `make`
 * builds a subclass (the controller's CIDR type) from the same three fields.
 */
export function canonicalIpv4Prefix<T extends Ipv4Prefix = Ipv4Prefix>(
  text: string,
  make: new (addr: number, length: number, key: string) => T = Ipv4Prefix as new (addr: number, length: number, key: string) => T,
): T | null {
  return scanIpv4Prefix(text) ? new make(scanned.addr, scanned.length, text) : null;
}

/**
 * Parses "a.b.c.d/len" or "x::/len". Throws an Error naming the text and the
 * reason (bad address, bad length, host bits set).
 */
export function parsePrefix(text: string): Prefix {
  if (typeof text !== 'string') throw new Error(`${String(text)} is not a prefix`);
  const fast = canonicalIpv4Prefix(text);
  if (fast) return fast;
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`"${text}" is not a prefix: it has no "/length"`);
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) {
    throw new Error(`"${text}" is not a prefix: bad length "${lenText}"`);
  }
  const length = Number(lenText);
  let parsed: { afi: 1 | 2; bytes: Uint8Array };
  try {
    parsed = parseAddress(text.slice(0, slash));
  } catch (err) {
    throw new Error(`"${text}" is not a prefix: ${(err as Error).message}`);
  }
  const { afi, bytes } = parsed;
  if (length > MAX_BITS[afi]) {
    throw new Error(`"${text}" is not a prefix: length ${length} is more than ${MAX_BITS[afi]}`);
  }
  const n = (length + 7) >> 3;
  for (let i = 0; i < bytes.length; i++) {
    const keep = i < n - 1 ? 0xff : i === n - 1 ? lastOctetMask(length) : 0;
    if ((bytes[i] & ~keep & 0xff) !== 0) {
      throw new Error(`"${text}" is not a prefix: host bits are set (did you mean ${formatKey(afi, length, maskedCopy(bytes, length))}?)`);
    }
  }
  if (afi === 1) return ipv4PrefixOf(bytes, length);
  const own = bytes.slice(0, n);
  return { afi, length, bytes: own, key: formatKey(afi, length, own) };
}

/** The Ipv4Prefix of the first ceil(length/8) octets of `bytes`, bits past `length` cleared. */
function ipv4PrefixOf(bytes: Uint8Array, length: number): Ipv4Prefix {
  const n = (length + 7) >> 3;
  let addr = 0;
  for (let i = 0; i < 4; i++) addr = (addr << 8) | (i < n ? bytes[i]! : 0);
  if (length < 32) addr &= ~(0xffffffff >>> length);
  return new Ipv4Prefix(addr | 0, length, formatIpv4Number(addr) + '/' + length);
}

function maskedCopy(bytes: Uint8Array, length: number): Uint8Array {
  const n = (length + 7) >> 3;
  const out = bytes.slice(0, n);
  if (n > 0) out[n - 1] &= lastOctetMask(length);
  return out;
}

function lastOctetMask(length: number): number {
  const r = length & 7;
  return r === 0 ? 0xff : (0xff << (8 - r)) & 0xff;
}

/**
 * A prefix from NLRI octets (RFC 4271 §4.3). Copies the `ceil(length/8)`
 * leading octets and clears trailing bits, which the RFC calls irrelevant.
 * Throws an Error when the length exceeds the family's or octets are missing.
 */
export function prefixFromNlri(afi: 1 | 2, length: number, bytes: Uint8Array): Prefix {
  if (length > MAX_BITS[afi] || length < 0) throw new Error(`prefix length ${length} is too long for AFI ${afi}`);
  const n = (length + 7) >> 3;
  if (bytes.length < n) throw new Error(`prefix /${length} needs ${n} octets, got ${bytes.length}`);
  if (afi === 1) return ipv4PrefixOf(bytes, length);
  const own = new Uint8Array(n);
  for (let i = 0; i < n; i++) own[i] = bytes[i];
  if (n > 0) own[n - 1] &= lastOctetMask(length);
  return { afi, length, bytes: own, key: formatKey(afi, length, own) };
}

/** Octets the prefix takes in an NLRI field: the length octet plus the address octets. */
export function nlriLength(p: Prefix): number {
  return 1 + ((p.length + 7) >> 3);
}

/** Writes the prefix as NLRI at `offset`; returns the offset after it. The caller sized `buf`. */
export function writeNlri(buf: Uint8Array, offset: number, p: Prefix): number {
  buf[offset++] = p.length;
  if (p instanceof Ipv4Prefix) {
    const addr = p.addr;
    for (let shift = 24, n = (p.length + 7) >> 3; n > 0; n--, shift -= 8) buf[offset++] = (addr >>> shift) & 0xff;
    return offset;
  }
  const b = p.bytes;
  for (let i = 0; i < b.length; i++) buf[offset++] = b[i];
  return offset;
}

/** Address text: dotted quad, or RFC 5952 IPv6. `bytes` may be shorter than the address (zero-filled). */
export function formatAddress(afi: 1 | 2, bytes: Uint8Array): string {
  return afi === 1 ? formatIpv4(bytes) : formatIpv6(bytes);
}

function formatKey(afi: 1 | 2, length: number, bytes: Uint8Array): string {
  return (afi === 1 ? formatIpv4(bytes) : formatIpv6(bytes)) + '/' + length;
}

/** Decimal text of every octet value, so formatting needs no number-to-string conversion. */
const OCTET: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

function formatIpv4(b: Uint8Array): string {
  // By hand: this runs once per received or configured prefix.
  const n = b.length;
  return OCTET[n > 0 ? b[0] : 0] + '.' + OCTET[n > 1 ? b[1] : 0] + '.' + OCTET[n > 2 ? b[2] : 0] + '.' + OCTET[n > 3 ? b[3] : 0];
}

function formatIpv4Number(a: number): string {
  return OCTET[(a >>> 24) & 0xff] + '.' + OCTET[(a >>> 16) & 0xff] + '.' + OCTET[(a >>> 8) & 0xff] + '.' + OCTET[a & 0xff];
}

function formatIpv6(b: Uint8Array): string {
  const n = b.length;
  const g = (i: number): number => ((i * 2 < n ? b[i * 2] : 0) << 8) | (i * 2 + 1 < n ? b[i * 2 + 1] : 0);
  // RFC 5952 §5: ::ffff:a.b.c.d for IPv4-mapped addresses.
  if (g(0) === 0 && g(1) === 0 && g(2) === 0 && g(3) === 0 && g(4) === 0 && g(5) === 0xffff) {
    return '::ffff:' + (b[12] ?? 0) + '.' + (b[13] ?? 0) + '.' + (b[14] ?? 0) + '.' + (b[15] ?? 0);
  }
  // RFC 5952 §4.2: longest run of at least two zero groups; first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i <= 8; i++) {
    if (i < 8 && g(i) === 0) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      if (i - runStart > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart;
      }
      runStart = -1;
    }
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += g(i).toString(16);
  }
  return out;
}

/** Number of octets of a full address of the family (4 or 16). */
export function addressOctets(afi: 1 | 2): number {
  return ADDRESS_OCTETS[afi];
}
