// The BGP message union: dispatch of a framed message body to its decoder
// (RFC 4271 §4.2-§4.5, RFC 2918 §3 / RFC 7313 §3 ROUTE-REFRESH) and the
// encoders of the fixed messages (KEEPALIVE, ROUTE-REFRESH).

import { MessageType } from './constants.js';
import { BgpError } from './errors.js';
import { decodeNotification, encodeNotification } from './notification.js';
import { decodeOpen, encodeOpen } from './open.js';
import type { BgpMessage, CodecContext } from './types.js';
import { decodeUpdate, encodeUpdate } from './update.js';
import { Writer, beginMessage, endMessage } from './writer.js';

/** KEEPALIVE: the 19-octet header alone (RFC 4271 §4.4). */
export function encodeKeepalive(): Buffer {
  const w = new Writer(19);
  beginMessage(w, MessageType.KEEPALIVE);
  return endMessage(w);
}

/** ROUTE-REFRESH (RFC 2918 §3): AFI (2), subtype (1, RFC 7313; reserved 0 in RFC 2918), SAFI (1). */
export function encodeRouteRefresh(afi: number, safi: number, subtype = 0): Buffer {
  const w = new Writer(23);
  beginMessage(w, MessageType.ROUTE_REFRESH);
  w.u16(afi).u8(subtype).u8(safi);
  return endMessage(w);
}

function lengthField(body: Uint8Array): Uint8Array {
  const total = body.length + 19;
  return Uint8Array.of((total >> 8) & 0xff, total & 0xff);
}

/** Decodes the body of a framed message; throws the BgpError to send when it is malformed. */
export function decodeMessage(type: number, body: Uint8Array, ctx: CodecContext): BgpMessage {
  switch (type) {
    case MessageType.OPEN:
      if (body.length < 10) throw new BgpError(1, 2, lengthField(body), 'OPEN too short');
      return decodeOpen(body);
    case MessageType.UPDATE:
      if (body.length < 4) throw new BgpError(1, 2, lengthField(body), 'UPDATE too short');
      return decodeUpdate(body, ctx);
    case MessageType.NOTIFICATION:
      return decodeNotification(body);
    case MessageType.KEEPALIVE:
      if (body.length !== 0) throw new BgpError(1, 2, lengthField(body), 'KEEPALIVE with a body');
      return { type: 'keepalive' };
    case MessageType.ROUTE_REFRESH:
      if (body.length !== 4) {
        // RFC 7313 §5: subtypes 1 and 2 with a bad length; the data is the whole message.
        if (body.length >= 3 && (body[2] === 1 || body[2] === 2)) {
          const raw = new Uint8Array(19 + body.length);
          raw.fill(0xff, 0, 16);
          raw.set(lengthField(body), 16);
          raw[18] = MessageType.ROUTE_REFRESH;
          raw.set(body, 19);
          throw new BgpError(7, 1, raw, 'ROUTE-REFRESH with a bad length');
        }
        throw new BgpError(1, 2, lengthField(body), 'ROUTE-REFRESH with a bad length');
      }
      return { type: 'route-refresh', afi: (body[0] << 8) | body[1], subtype: body[2], safi: body[3] };
    default:
      throw new BgpError(1, 3, Uint8Array.of(type & 0xff), `unknown message type ${type}`);
  }
}

/** Encodes any message of the union, header included. */
export function encodeMessage(m: BgpMessage, ctx: CodecContext): Buffer {
  switch (m.type) {
    case 'open':
      return encodeOpen(m);
    case 'update':
      return encodeUpdate(m, ctx);
    case 'notification':
      return encodeNotification(m.code, m.subcode, m.data);
    case 'keepalive':
      return encodeKeepalive();
    case 'route-refresh':
      return encodeRouteRefresh(m.afi, m.safi, m.subtype);
  }
}
