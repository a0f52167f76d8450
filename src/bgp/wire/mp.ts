// MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4): decoders used by the
// attribute table in attributes.ts and whole-attribute encoders. IPv6 next
// hops are 16 octets, or 32 with the link-local one (RFC 2545 §3); IPv6 next
// hops for IPv4 NLRI are accepted on decode (RFC 8950). Malformed attributes
// reset the session (RFC 7606 §7.11).

import { AttrFlag, AttrType } from './constants.js';
import { decodeNlri, nlriFieldLength, writeNlriField } from './nlri.js';
import type { CodecContext } from './types.js';
import type { DecodedAttributes } from './attributes.js';
import { Writer } from './writer.js';
import { formatAddress, parseAddress, type Prefix } from '../prefix.js';

/** Octets of an attribute header for a value of this length: 3, or 4 with the Extended Length flag. */
export function attributeHeaderLength(valueLength: number): number {
  return valueLength > 255 ? 4 : 3;
}

export function decodeMpReach(v: Uint8Array, _ctx: CodecContext, out: DecodedAttributes): string | null {
  // RFC 4760 §3: AFI (2), SAFI (1), next hop length (1), next hop, reserved (1), NLRI.
  if (v.length < 5) return `MP_REACH_NLRI of ${v.length} octets is too short`;
  const afi = (v[0] << 8) | v[1];
  const safi = v[2];
  const nhLen = v[3];
  if (5 + nhLen > v.length) return `MP_REACH_NLRI next hop length ${nhLen} overruns the attribute`;
  if ((afi !== 1 && afi !== 2) || (safi !== 1 && safi !== 2)) {
    out.discarded.push(`MP_REACH_NLRI for AFI ${afi} SAFI ${safi} is not supported and was ignored`);
    return null;
  }
  // RFC 7606 §7.11: the next hop length must fit the AFI (RFC 2545 §3: 16 or 32 for IPv6;
  // RFC 8950: IPv6 next hops for IPv4 NLRI).
  const nextHops: string[] = [];
  if (nhLen === 4 && afi === 1) nextHops.push(formatAddress(1, v.subarray(4, 8)));
  else if (nhLen === 16) nextHops.push(formatAddress(2, v.subarray(4, 20)));
  else if (nhLen === 32) nextHops.push(formatAddress(2, v.subarray(4, 20)), formatAddress(2, v.subarray(20, 36)));
  else return `MP_REACH_NLRI next hop length ${nhLen} does not fit AFI ${afi}`;
  const nlri = decodeNlri(afi, v, 5 + nhLen, v.length, 9, 'MP_REACH_NLRI');
  out.mpReach = { afi, safi, nextHops, nlri };
  return null;
}

export function decodeMpUnreach(v: Uint8Array, _ctx: CodecContext, out: DecodedAttributes): string | null {
  // RFC 4760 §4: AFI (2), SAFI (1), withdrawn routes.
  if (v.length < 3) return `MP_UNREACH_NLRI of ${v.length} octets is too short`;
  const afi = (v[0] << 8) | v[1];
  const safi = v[2];
  if ((afi !== 1 && afi !== 2) || (safi !== 1 && safi !== 2)) {
    out.discarded.push(`MP_UNREACH_NLRI for AFI ${afi} SAFI ${safi} is not supported and was ignored`);
    return null;
  }
  out.mpUnreach = { afi, safi, withdrawn: decodeNlri(afi, v, 3, v.length, 9, 'MP_UNREACH_NLRI') };
  return null;
}

function nextHopBytes(afi: number, nextHops: readonly string[]): Uint8Array {
  const parts = nextHops.map((h) => parseAddress(h));
  if (afi === 2 && (parts.length < 1 || parts.length > 2 || parts.some((p) => p.afi !== 2))) {
    throw new Error(`IPv6 MP_REACH_NLRI needs one or two IPv6 next hops, got ${JSON.stringify(nextHops)}`);
  }
  if (parts.length === 0) throw new Error('MP_REACH_NLRI needs a next hop');
  const out = new Uint8Array(parts.reduce((n, p) => n + p.bytes.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p.bytes, o);
    o += p.bytes.length;
  }
  return out;
}

/** The whole MP_REACH_NLRI attribute (flags, type, length, value), RFC 4760 §3. */
export function encodeMpReachAttribute(afi: number, safi: number, nextHops: readonly string[], nlri: readonly Prefix[]): Uint8Array {
  const nh = nextHopBytes(afi, nextHops);
  const nlriLen = nlriFieldLength(nlri);
  const valueLen = 5 + nh.length + nlriLen;
  const w = new Writer(attributeHeaderLength(valueLen) + valueLen);
  if (valueLen > 255) w.u8(AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH).u8(AttrType.MP_REACH_NLRI).u16(valueLen);
  else w.u8(AttrFlag.OPTIONAL).u8(AttrType.MP_REACH_NLRI).u8(valueLen);
  w.u16(afi).u8(safi).u8(nh.length).bytes(nh).u8(0);
  writeNlriField(w, nlri, nlriLen);
  return w.finish();
}

/** The whole MP_UNREACH_NLRI attribute, RFC 4760 §4. */
export function encodeMpUnreachAttribute(afi: number, safi: number, withdrawn: readonly Prefix[]): Uint8Array {
  const nlriLen = nlriFieldLength(withdrawn);
  const valueLen = 3 + nlriLen;
  const w = new Writer(attributeHeaderLength(valueLen) + valueLen);
  if (valueLen > 255) w.u8(AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH).u8(AttrType.MP_UNREACH_NLRI).u16(valueLen);
  else w.u8(AttrFlag.OPTIONAL).u8(AttrType.MP_UNREACH_NLRI).u8(valueLen);
  w.u16(afi).u8(safi);
  writeNlriField(w, withdrawn, nlriLen);
  return w.finish();
}

