// NLRI fields (RFC 4271 §4.3 Withdrawn Routes and NLRI; RFC 4760 §5 inside
// MP_REACH_NLRI / MP_UNREACH_NLRI): a sequence of (length octet, prefix
// octets). A length above the family's maximum or a prefix that overruns
// the field is a syntax error (RFC 7606 §5.3) and resets the session with
// the subcode the caller passes.

import { BgpError } from './errors.js';
import { nlriLength, prefixFromNlri, writeNlri, type Prefix } from '../prefix.js';
import type { Writer } from './writer.js';

/** Parses `buf[start, end)` as prefixes of `afi`; throws BgpError(3, subcode) on a syntax error. */
export function decodeNlri(afi: 1 | 2, buf: Uint8Array, start: number, end: number, subcode: number, field: string): Prefix[] {
  const max = afi === 1 ? 32 : 128;
  const out: Prefix[] = [];
  let p = start;
  while (p < end) {
    const length = buf[p];
    if (length > max) {
      throw new BgpError(3, subcode, undefined, `${field}: prefix length ${length} is more than ${max}`);
    }
    const n = (length + 7) >> 3;
    if (p + 1 + n > end) {
      throw new BgpError(3, subcode, undefined, `${field}: prefix /${length} overruns the field`);
    }
    out.push(prefixFromNlri(afi, length, buf.subarray(p + 1, p + 1 + n)));
    p += 1 + n;
  }
  return out;
}

/** Total octets of the prefixes as NLRI. */
export function nlriFieldLength(prefixes: readonly Prefix[]): number {
  let n = 0;
  for (let i = 0; i < prefixes.length; i++) n += nlriLength(prefixes[i]);
  return n;
}

/** Appends the prefixes as NLRI to the writer in one pass, growing it once. */
export function writeNlriField(w: Writer, prefixes: readonly Prefix[], total = nlriFieldLength(prefixes)): void {
  w.ensure(total);
  const buf = w.raw;
  let off = w.length;
  for (let i = 0; i < prefixes.length; i++) off = writeNlri(buf, off, prefixes[i]);
  w.length = off;
}
