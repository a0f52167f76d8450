// IP addresses and prefixes as they appear in Kubernetes fields (peerIP,
// gateway, status.addresses, spec.podCIDRs), in the shape the controller's
// checks want: family, bytes, canonical text (IPv4 dotted quad, IPv6 per
// RFC 5952 §4), and the facts validation asks about. Parsing and printing
// are the protocol's own (src/bgp/prefix.ts, ip-address underneath), so an
// address means the same thing to the controller and on the wire.

import { formatAddress, parseAddress } from '../bgp/index.js';
import { canonicalIpv4Prefix, Ipv4Prefix } from '../bgp/prefix.js';

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
  /** The whole address, 4 or 16 octets, host bits cleared. */
  readonly address: Uint8Array;
  readonly length: number;
  /** Canonical text, e.g. "10.244.1.0/24", "fd00:10:244:4::/64". */
  readonly text: string;
  /** The text had bits set past the prefix length. */
  readonly hostBits: boolean;
}

/** Orders IPv4 before IPv6, then by address, then by prefix length. */
export function compareCIDR(a: CIDR, b: CIDR): number {
  if (a instanceof Ipv4Cidr && b instanceof Ipv4Cidr) return (a.addr >>> 0) - (b.addr >>> 0) || a.length - b.length;
  const x = a.address;
  const y = b.address;
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
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
 * A canonical IPv4 CIDR: the speaker's own Ipv4Prefix (a 32-bit number, a
 * length and the text), so the prefix object made here from a pod CIDR is
 * the one the speaker keeps and writes NLRI from (RouteSpec.parsed). A pod
 * CIDR is a subclass that is also its route (validate-node.ts).
 */
export class Ipv4Cidr extends Ipv4Prefix implements CIDR {
  get family(): 'ipv4' {
    return 'ipv4';
  }

  get hostBits(): false {
    return false;
  }

  get text(): string {
    return this.key;
  }

  get address(): Uint8Array {
    const a = this.addr;
    return Uint8Array.of(a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff);
  }
}

/**
 * An IPv4 CIDR's address (host bits cleared) as a signed 32-bit number. A
 * CIDR written with host bits is not an Ipv4Cidr: its cleared octets give it.
 */
export function ipv4CidrAddress(cidr: CIDR): number {
  if (cidr instanceof Ipv4Cidr) return cidr.addr;
  const a = cidr.address;
  return (a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!;
}

/**
 * Parses "address/length"; host bits are cleared and reported in `hostBits`.
 * Canonical IPv4 text becomes an Ipv4Cidr, or the subclass `make` names.
 */
export function parseCIDR(text: string, make: new (addr: number, length: number, key: string) => Ipv4Cidr = Ipv4Cidr): CIDR | undefined {
  // The protocol's own parse of canonical IPv4 text (no leading zeros, no host bits).
  const fast = canonicalIpv4Prefix(text, make);
  if (fast) return fast;
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
  return { family, address: bytes, length, text: `${formatAddress(a.afi, bytes)}/${length}`, hostBits };
}
