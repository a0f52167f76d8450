// IP addresses and prefixes as they appear in Kubernetes fields (peerIP,
// gateway, status.addresses, spec.podCIDRs), parsed to bytes and printed back
// in canonical text: IPv4 dotted quad without leading zeros, IPv6 per RFC 5952
// §4 (lower case, longest run of two or more zero groups as "::", leftmost on
// a tie), so equal addresses compare equal as strings. IPv6 text may end in
// an embedded IPv4 address (RFC 4291 §2.2). Pure: no I/O.

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
  if (a.bytes.length !== b.bytes.length) return a.bytes.length - b.bytes.length;
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  }
  return a.length - b.length;
}

/**
 * Reads a dotted quad from s[from..to) into out[at..at+4). Leading zeros are
 * rejected (some parsers read them as octal), so valid text is canonical.
 */
function parseIPv4(s: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || part === 4) return false;
      out[at + part++] = value;
      digits = 0;
      value = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseIPv6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  const words: number[] = [];
  let gap = -1;
  let i = 0;
  const n = s.length;
  if (n < 2) return undefined;
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
  } else if (s.charCodeAt(0) === 58) {
    return undefined;
  }
  while (i < n) {
    let j = i;
    let v = 0;
    while (j < n && j - i < 5) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      // Embedded IPv4 in the last 32 bits (RFC 4291 §2.2 form 3).
      if (words.length > 6) return undefined;
      const v4 = new Uint8Array(4);
      if (!parseIPv4(s, i, n, v4, 0)) return undefined;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      i = n;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    words.push(v);
    if (j === n) {
      i = n;
      break;
    }
    if (s.charCodeAt(j) !== 58) return undefined;
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return undefined;
      gap = words.length;
      i = j + 2;
    } else {
      if (j + 1 === n) return undefined;
      i = j + 1;
    }
  }
  if (words.length > 8 || (gap < 0 && words.length !== 8) || (gap >= 0 && words.length > 7)) return undefined;
  const full = gap < 0 ? words : [...words.slice(0, gap), ...new Array<number>(8 - words.length).fill(0), ...words.slice(gap)];
  for (let k = 0; k < 8; k++) {
    out[2 * k] = full[k]! >> 8;
    out[2 * k + 1] = full[k]! & 0xff;
  }
  return out;
}

function formatIPv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

function formatIP(bytes: Uint8Array): string {
  return bytes.length === 4 ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : formatIPv6(bytes);
}

function parseBytes(text: string, to: number): Uint8Array | undefined {
  if (text.indexOf(':') >= 0) return to === text.length ? parseIPv6(text) : parseIPv6(text.slice(0, to));
  const b = new Uint8Array(4);
  return parseIPv4(text, 0, to, b, 0) ? b : undefined;
}

/** Parses an IPv4 or IPv6 address (no zone, no prefix length); undefined when it is not one. */
export function parseIP(text: string): IP | undefined {
  const bytes = parseBytes(text, text.length);
  if (!bytes) return undefined;
  const v4 = bytes.length === 4;
  let zero = true;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) zero = false;
  return {
    family: v4 ? 'ipv4' : 'ipv6',
    bytes,
    // Valid IPv4 text is already canonical (no leading zeros).
    text: v4 ? text : formatIPv6(bytes),
    unspecified: zero,
    multicast: v4 ? bytes[0]! >= 224 : bytes[0] === 0xff,
  };
}

/** Parses `address/length`; host bits are cleared (and flagged). Undefined when it is not a CIDR. */
export function parseCIDR(text: string): CIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const bytes = parseBytes(text, slash);
  if (!bytes) return undefined;
  let length = 0;
  const digits = text.length - slash - 1;
  if (digits < 1 || digits > 3 || (digits > 1 && text.charCodeAt(slash + 1) === 48)) return undefined;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    length = length * 10 + (c - 48);
  }
  if (length > bytes.length * 8) return undefined;
  let hostBits = false;
  for (let i = 0; i < bytes.length; i++) {
    const keep = length - i * 8;
    const mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((bytes[i]! & ~mask & 0xff) !== 0) {
      hostBits = true;
      bytes[i] = bytes[i]! & mask;
    }
  }
  const family = bytes.length === 4 ? 'ipv4' : 'ipv6';
  const canonical = family === 'ipv4' && !hostBits ? text : `${formatIP(bytes)}/${length}`;
  return { family, bytes, length, text: canonical, hostBits };
}
