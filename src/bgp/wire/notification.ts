// NOTIFICATION message (RFC 4271 §4.5) and its error codes in words for
// logs and Kubernetes events: RFC 4271 §4.5/§6, RFC 5492 (Unsupported
// Capability), RFC 6608 (FSM error subcodes), RFC 4486 (Cease subcodes),
// RFC 8203 / RFC 9003 (shutdown communication: length octet + UTF-8, at most
// 255 octets), RFC 8538 (Hard Reset), RFC 9384 (BFD Down), RFC 7313
// (ROUTE-REFRESH Message Error), RFC 9234 (Role Mismatch).

import { MessageType } from './constants.js';
import { BgpError } from './errors.js';
import type { NotificationMessage } from './types.js';
import { Writer, beginMessage, endMessage } from './writer.js';

const CODES: Record<number, { name: string; subcodes: Record<number, string> }> = {
  1: {
    name: 'Message Header Error',
    subcodes: { 1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type' },
  },
  2: {
    name: 'OPEN Message Error',
    subcodes: {
      1: 'Unsupported Version Number',
      2: 'Bad Peer AS',
      3: 'Bad BGP Identifier',
      4: 'Unsupported Optional Parameter',
      5: 'Authentication Failure (deprecated)',
      6: 'Unacceptable Hold Time',
      7: 'Unsupported Capability',
      11: 'Role Mismatch',
    },
  },
  3: {
    name: 'UPDATE Message Error',
    subcodes: {
      1: 'Malformed Attribute List',
      2: 'Unrecognized Well-known Attribute',
      3: 'Missing Well-known Attribute',
      4: 'Attribute Flags Error',
      5: 'Attribute Length Error',
      6: 'Invalid ORIGIN Attribute',
      7: 'AS Routing Loop (deprecated)',
      8: 'Invalid NEXT_HOP Attribute',
      9: 'Optional Attribute Error',
      10: 'Invalid Network Field',
      11: 'Malformed AS_PATH',
    },
  },
  4: { name: 'Hold Timer Expired', subcodes: {} },
  5: {
    name: 'Finite State Machine Error',
    subcodes: {
      1: 'Receive Unexpected Message in OpenSent State',
      2: 'Receive Unexpected Message in OpenConfirm State',
      3: 'Receive Unexpected Message in Established State',
    },
  },
  6: {
    name: 'Cease',
    subcodes: {
      1: 'Maximum Number of Prefixes Reached',
      2: 'Administrative Shutdown',
      3: 'Peer De-configured',
      4: 'Administrative Reset',
      5: 'Connection Rejected',
      6: 'Other Configuration Change',
      7: 'Connection Collision Resolution',
      8: 'Out of Resources',
      9: 'Hard Reset (RFC 8538)',
      10: 'BFD Down',
    },
  },
  7: { name: 'ROUTE-REFRESH Message Error', subcodes: { 1: 'Invalid Message Length' } },
};

/** The whole NOTIFICATION message, header included. */
export function encodeNotification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const w = new Writer(21 + data.length);
  beginMessage(w, MessageType.NOTIFICATION);
  w.u8(code).u8(subcode).bytes(data);
  return endMessage(w);
}

/** Decodes a NOTIFICATION body; the data is copied. */
export function decodeNotification(body: Uint8Array): NotificationMessage {
  if (body.length < 2) {
    const total = body.length + 19;
    throw new BgpError(1, 2, Uint8Array.of(total >> 8, total & 0xff), `NOTIFICATION of ${total} octets`);
  }
  return { type: 'notification', code: body[0], subcode: body[1], data: new Uint8Array(body.subarray(2)) };
}

/** RFC 8203 / RFC 9003 shutdown communication: one length octet and UTF-8, cut at a character boundary to 255 octets. */
export function encodeShutdownCommunication(text: string): Uint8Array {
  let bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 255) {
    let end = 255;
    // Do not cut inside a multi-octet character: back up over continuation octets.
    while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  const out = new Uint8Array(1 + bytes.length);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

/** Reads a shutdown communication; null when the data is not one (bad length or not UTF-8). */
export function decodeShutdownCommunication(data: Uint8Array): string | null {
  if (data.length < 1) return null;
  const n = data[0];
  if (n === 0 || n + 1 > data.length) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(1, 1 + n));
  } catch {
    return null;
  }
}

function hex(data: Uint8Array, max = 32): string {
  const part = Buffer.from(data.subarray(0, max)).toString('hex');
  return data.length > max ? `${part}…` : part;
}

/**
 * The error in words, for logs and events, e.g. "OPEN Message Error / Bad Peer AS" or
 * 'Cease / Administrative Shutdown: "maintenance window"'. Unknown codes appear as numbers.
 */
export function describeNotification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): string {
  const entry = CODES[code];
  if (!entry) return `Unknown error code ${code} / subcode ${subcode}` + (data.length > 0 ? ` (data ${hex(data)})` : '');
  const sub = subcode === 0 ? 'Unspecific' : entry.subcodes[subcode] ?? `Unknown subcode ${subcode}`;
  let text = code === 4 && subcode === 0 ? entry.name : `${entry.name} / ${sub}`;
  if (code === 6 && (subcode === 2 || subcode === 4) && data.length > 0) {
    const message = decodeShutdownCommunication(data);
    text += message !== null ? `: ${JSON.stringify(message)}` : ` (malformed shutdown communication ${hex(data)})`;
  } else if (code === 6 && subcode === 1 && data.length === 7) {
    // RFC 4486 §4: AFI (2), SAFI (1), upper bound (4).
    const limit = Buffer.from(data).readUInt32BE(3);
    text += ` (AFI ${(data[0] << 8) | data[1]} SAFI ${data[2]}, limit ${limit})`;
  } else if (code === 6 && subcode === 9 && data.length >= 2) {
    // RFC 8538 §3: the data carries the code and subcode of the underlying error.
    text += `: ${describeNotification(data[0], data[1], data.subarray(2))}`;
  } else if (code === 1 && subcode === 2 && data.length === 2) {
    text += ` (length ${(data[0] << 8) | data[1]})`;
  } else if (code === 1 && subcode === 3 && data.length === 1) {
    text += ` (type ${data[0]})`;
  } else if (code === 2 && subcode === 1 && data.length === 2) {
    text += ` (we support version ${(data[0] << 8) | data[1]})`;
  } else if (code === 2 && subcode === 2 && (data.length === 2 || data.length === 4)) {
    text += ` (AS ${data.length === 2 ? (data[0] << 8) | data[1] : Buffer.from(data).readUInt32BE(0)})`;
  }
  return text;
}
