// IP prefixes as the speaker carries them: parsed once (with ip-address),
// held as NLRI bytes (RFC 4271 §4.3: length octet + the fewest octets that
// hold `length` bits), with a canonical text key used by every table.

/** PLACEHOLDER: the interface is the contract; the wire helper implements the functions. */
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
