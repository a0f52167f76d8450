// IP addresses and prefixes as they appear in Kubernetes fields (peerIP,
// gateway, status.addresses, spec.podCIDRs), in the shape the controller's
// checks want: family, bytes, canonical text (IPv4 dotted quad, IPv6 per
// RFC 5952 §4), and the facts validation asks about. Parsing and printing
// are the protocol's own (src/bgp/prefix.ts, ip-address underneath), so an
// address means the same thing to the controller and on the wire.

import { formatAddress, parseAddress } from '../bgp/index.js';
import { canonicalIpv4Prefix } from '../bgp/prefix.js';

export interface IP {
  readonly family: 'ipv4' | 'ipv6';
  /** 4 or 16 octets. */
  readonly bytes: Uint8Array;
  /** Canonical text. */
  readonly text: string;
  readonly unspecified: boolean;
  readonly multicast: boolean;
}

export interface CIDR {
  readonly family: 'ipv4' | 'ipv6';
  /** 4 or 16 octets, host bits cleared. */
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Canonical text, e.g. "10.244.1.0/24", "fd00:10:244:4::/64". */
  readonly text: string;
  /** The text had bits set past the prefix length. */
  readonly hostBits: boolean;
}

/** Orders IPv4 before IPv6, then by address, then by prefix length. */
export function compareCIDR(a: CIDR, b: CIDR): number {
  if (a instanceof Ipv4Cidr && b instanceof Ipv4Cidr) return a.v4 - b.v4 || a.length - b.length;
  if (a.bytes.length !== b.bytes.length) return a.bytes.length - b.bytes.length;
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  }
  return a.length - b.length;
}

function address(text: string): { afi: 1 | 2; bytes: Uint8Array } | undefined {
  // Leading zeros in a dotted quad are refused: some parsers read them as octal.
  if (!text.includes(':') && /(^|\.)0\d/.test(text)) return undefined;
  try {
    return parseAddress(text);
  } catch {
    return undefined;
  }
}

/** Parses an IPv4 or IPv6 address (no zone, no prefix length); undefined when it is not one. */
export function parseIP(text: string): IP | undefined {
  const a = address(text);
  if (!a) return undefined;
  const v4 = a.afi === 1;
  return {
    family: v4 ? 'ipv4' : 'ipv6',
    bytes: a.bytes,
    text: formatAddress(a.afi, a.bytes),
    unspecified: a.bytes.every((b) => b === 0),
    multicast: v4 ? a.bytes[0]! >= 224 : a.bytes[0] === 0xff,
  };
}

/**
 * A canonical IPv4 CIDR held as a number: a Node with 100,000 pod CIDRs (or
 * 20,000 Nodes) keeps one small object per CIDR, no octet arrays.
 */
class Ipv4Cidr implements CIDR {
  readonly family = 'ipv4' as const;
  readonly hostBits = false;
  constructor(
    /** The address as an unsigned 32-bit number. */
    readonly v4: number,
    readonly length: number,
    readonly text: string,
  ) {}

  get bytes(): Uint8Array {
    const a = this.v4;
    return Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
  }
}

/** Parses "address/length"; host bits are cleared and reported in `hostBits`. */
export function parseCIDR(text: string): CIDR | undefined {
  // The protocol's own parse of canonical IPv4 text (no leading zeros, no host bits).
  const fast = canonicalIpv4Prefix(text);
  if (fast) return new Ipv4Cidr(fast.addr >>> 0, fast.length, text);
  const slash = text.indexOf('/');
  if (slash < 0 || !/^(0|[1-9]\d{0,2})$/.test(text.slice(slash + 1))) return undefined;
  const a = address(text.slice(0, slash));
  if (!a) return undefined;
  const length = Number(text.slice(slash + 1));
  if (length > a.bytes.length * 8) return undefined;
  const bytes = Uint8Array.from(a.bytes);
  let hostBits = false;
  for (let i = 0; i < bytes.length; i++) {
    const keep = i * 8 >= length ? 0 : i * 8 + 8 <= length ? 0xff : (0xff << (8 - (length - i * 8))) & 0xff;
    if ((bytes[i]! & ~keep) !== 0) hostBits = true;
    bytes[i] = bytes[i]! & keep;
  }
  const family = a.afi === 1 ? 'ipv4' : 'ipv6';
  return { family, bytes, length, text: `${formatAddress(a.afi, bytes)}/${length}`, hostBits };
}
