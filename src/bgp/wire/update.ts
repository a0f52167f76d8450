// UPDATE message (RFC 4271 §4.3, §6.3) with the revised error handling of
// RFC 7606: errors that leave the message unparseable throw the BgpError to
// send; malformed attributes that RFC 7606 grades treat-as-withdraw or
// attribute-discard are reported on the decoded message. End-of-RIB markers
// (RFC 4724 §2). MP_UNREACH_NLRI and MP_REACH_NLRI are encoded first
// (RFC 7606 §5.1), the other attributes in type code order.

import { AttrType, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import { BgpError } from './errors.js';
import { decodePathAttributes, encodeMpReachAttribute, encodeMpUnreachAttribute, encodePathAttributes } from './attributes.js';
import { decodeNlri, nlriFieldLength, writeNlriField } from './nlri.js';
import type { CodecContext, UpdateMessage } from './types.js';
import { Writer, beginMessage, endMessage } from './writer.js';

/** Decodes an UPDATE body (after the 19-octet header). */
export function decodeUpdate(body: Uint8Array, ctx: CodecContext): UpdateMessage {
  const end = body.length;
  // RFC 4271 §6.3: the Withdrawn Routes Length and Total Path Attribute Length must fit the message.
  if (end < 4) throw new BgpError(3, 1, undefined, `UPDATE body of ${end} octets is too short`);
  const withdrawnLen = (body[0] << 8) | body[1];
  if (2 + withdrawnLen + 2 > end) {
    throw new BgpError(3, 1, undefined, `Withdrawn Routes Length ${withdrawnLen} overruns the UPDATE`);
  }
  const withdrawn = decodeNlri(1, body, 2, 2 + withdrawnLen, 10, 'Withdrawn Routes');
  const attrStart = 2 + withdrawnLen + 2;
  const attrLen = (body[attrStart - 2] << 8) | body[attrStart - 1];
  if (attrStart + attrLen > end) {
    throw new BgpError(3, 1, undefined, `Total Path Attribute Length ${attrLen} overruns the UPDATE`);
  }
  // RFC 7606 §5.3: a syntactically wrong NLRI field resets the session (Invalid Network Field, RFC 4271 §6.3).
  const nlri = decodeNlri(1, body, attrStart + attrLen, end, 10, 'NLRI');
  const d = decodePathAttributes(body, attrStart, attrStart + attrLen, ctx);

  const announces = nlri.length > 0 || (d.mpReach !== undefined && d.mpReach.nlri.length > 0);
  if (announces) {
    // RFC 7606 §3 d: a missing well-known mandatory attribute is treat-as-withdraw. NEXT_HOP is
    // needed only with IPv4 NLRI in the NLRI field (RFC 4760 §3).
    const missing: string[] = [];
    if (!d.seen[AttrType.ORIGIN]) missing.push('ORIGIN');
    if (!d.seen[AttrType.AS_PATH]) missing.push('AS_PATH');
    if (nlri.length > 0 && !d.seen[AttrType.NEXT_HOP]) missing.push('NEXT_HOP');
    if (missing.length > 0) d.withdrawReasons.push(`missing well-known attribute ${missing.join(', ')}`);
  }
  const m: { -readonly [K in keyof UpdateMessage]: UpdateMessage[K] } = {
    type: 'update',
    withdrawn,
    attributes: d.attributes,
    nlri,
  };
  if (d.mpReach) m.mpReach = d.mpReach;
  if (d.mpUnreach) m.mpUnreach = d.mpUnreach;
  if (d.withdrawReasons.length > 0) m.treatAsWithdraw = d.withdrawReasons.join('; ');
  if (d.discarded.length > 0) m.discarded = d.discarded;
  return m;
}

/**
 * The whole UPDATE message. Throws an Error when it would exceed 4096 octets,
 * or 65535 with extended messages (RFC 8654): the caller packs fewer prefixes.
 */
export function encodeUpdate(m: Omit<UpdateMessage, 'type'>, ctx: CodecContext): Buffer {
  const withdrawnLen = nlriFieldLength(m.withdrawn);
  const nlriLen = nlriFieldLength(m.nlri);
  const unreach = m.mpUnreach ? encodeMpUnreachAttribute(m.mpUnreach.afi, m.mpUnreach.safi, m.mpUnreach.withdrawn) : null;
  const reach = m.mpReach ? encodeMpReachAttribute(m.mpReach.afi, m.mpReach.safi, m.mpReach.nextHops, m.mpReach.nlri) : null;
  const attrs = encodePathAttributes(m.attributes, ctx);
  const attrLen = (unreach?.length ?? 0) + (reach?.length ?? 0) + attrs.length;
  const total = 19 + 2 + withdrawnLen + 2 + attrLen + nlriLen;
  const max = ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  if (total > max) throw new Error(`UPDATE of ${total} octets exceeds the maximum message size ${max}`);
  const w = new Writer(total);
  beginMessage(w, MessageType.UPDATE);
  w.u16(withdrawnLen);
  writeNlriField(w, m.withdrawn, withdrawnLen);
  w.u16(attrLen);
  if (unreach) w.bytes(unreach);
  if (reach) w.bytes(reach);
  w.bytes(attrs);
  writeNlriField(w, m.nlri, nlriLen);
  return endMessage(w);
}

/**
 * End-of-RIB marker, RFC 4724 §2: for IPv4 unicast an UPDATE with nothing in
 * it; for other families an UPDATE with only an empty MP_UNREACH_NLRI.
 */
export function encodeEndOfRib(afi: number, safi: number): Buffer {
  const w = new Writer(32);
  beginMessage(w, MessageType.UPDATE);
  w.u16(0);
  if (afi === 1 && safi === 1) {
    w.u16(0);
  } else {
    const attr = encodeMpUnreachAttribute(afi, safi, []);
    w.u16(attr.length).bytes(attr);
  }
  return endMessage(w);
}

function attributesEmpty(m: UpdateMessage): boolean {
  const a = m.attributes;
  for (const k of Object.keys(a) as (keyof typeof a)[]) {
    const v = a[k];
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    return false;
  }
  return true;
}

/** The family an End-of-RIB marker closes (RFC 4724 §2), or null when the UPDATE is not one. */
export function endOfRibFamily(m: UpdateMessage): { afi: number; safi: number } | null {
  if (m.withdrawn.length > 0 || m.nlri.length > 0 || m.mpReach !== undefined || !attributesEmpty(m)) return null;
  if (m.mpUnreach === undefined) return { afi: 1, safi: 1 };
  if (m.mpUnreach.withdrawn.length > 0) return null;
  return { afi: m.mpUnreach.afi, safi: m.mpUnreach.safi };
}
