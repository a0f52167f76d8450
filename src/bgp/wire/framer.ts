// Splits a TCP byte stream into BGP messages and checks the message header
// (RFC 4271 §4.1, §6.1): marker all ones, length within 19..max, known type,
// and the per-type minimum or fixed lengths. RFC 8654: the maximum is 65535
// once extended messages are negotiated, except OPEN and KEEPALIVE (4096).
// RFC 7313 §5: a ROUTE-REFRESH of subtype 1 or 2 with a bad length gets a
// ROUTE-REFRESH Message Error carrying the whole message.
//
// Frames are views (`subarray`) of the pushed chunks; no copy is made when a
// chunk holds whole messages. Copy what must outlive the next push.

import { HEADER_LENGTH, MARKER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from './constants.js';
import { BgpError } from './errors.js';

export interface Frame {
  readonly type: number;
  /** The message without its 19-octet header. */
  readonly body: Uint8Array;
  /** The whole message, header included. */
  readonly raw: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** Minimum total length of each message type, RFC 4271 §4.2-§4.4, RFC 2918 §3. */
const MIN_LENGTH: readonly number[] = [0, 29, 23, 21, 19, 23];

export class Framer {
  private maxLength: number;
  private buf: Uint8Array = EMPTY;
  private off = 0;
  private end = 0;
  /** True when `buf` was allocated here and may be appended to after `end`. */
  private owned = false;

  constructor(maxLength = MAX_MESSAGE_LENGTH) {
    this.maxLength = maxLength;
  }

  /** 4096, or 65535 after the extended message capability is negotiated (RFC 8654). */
  setMaxLength(n: number): void {
    this.maxLength = n;
  }

  /** Octets buffered that do not yet form a whole message. */
  get buffered(): number {
    return this.end - this.off;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.off === this.end) {
      this.buf = chunk;
      this.off = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    const left = this.end - this.off;
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      // Appending after `end` leaves earlier frames (views before `off`) intact.
      this.buf.set(chunk, this.end);
      this.end += chunk.length;
      return;
    }
    const next = new Uint8Array(Math.max(4096, (left + chunk.length) * 2));
    next.set(this.buf.subarray(this.off, this.end), 0);
    next.set(chunk, left);
    this.buf = next;
    this.off = 0;
    this.end = left + chunk.length;
    this.owned = true;
  }

  /** The next complete message, or null when more bytes are needed. Throws BgpError on a bad header. */
  next(): Frame | null {
    const avail = this.end - this.off;
    if (avail < HEADER_LENGTH) return null;
    const b = this.buf;
    const o = this.off;
    for (let i = 0; i < MARKER_LENGTH; i++) {
      if (b[o + i] !== 0xff) throw new BgpError(1, 1, undefined, 'message header marker is not all ones');
    }
    const length = (b[o + 16] << 8) | b[o + 17];
    const type = b[o + 18];
    const lengthField = (): Uint8Array => Uint8Array.of(b[o + 16], b[o + 17]);
    if (length < HEADER_LENGTH || length > this.maxLength) {
      throw new BgpError(1, 2, lengthField(), `bad message length ${length}`);
    }
    if (type < MessageType.OPEN || type > MessageType.ROUTE_REFRESH) {
      throw new BgpError(1, 3, Uint8Array.of(type), `unknown message type ${type}`);
    }
    // RFC 8654 §4: OPEN and KEEPALIVE never exceed 4096 octets.
    if ((type === MessageType.OPEN || type === MessageType.KEEPALIVE) && length > MAX_MESSAGE_LENGTH) {
      throw new BgpError(1, 2, lengthField(), `bad message length ${length} for type ${type}`);
    }
    if (length < MIN_LENGTH[type] || (type === MessageType.KEEPALIVE && length !== HEADER_LENGTH)) {
      throw new BgpError(1, 2, lengthField(), `bad message length ${length} for type ${type}`);
    }
    if (type === MessageType.ROUTE_REFRESH && length !== 23) {
      if (avail < length) return null;
      // RFC 7313 §5: subtypes 1 (BoRR) and 2 (EoRR) get Route-Refresh Message Error / Invalid Message Length.
      const subtype = b[o + 21];
      if (subtype === 1 || subtype === 2) {
        throw new BgpError(7, 1, new Uint8Array(b.subarray(o, o + length)), `ROUTE-REFRESH length ${length}`);
      }
      throw new BgpError(1, 2, lengthField(), `bad message length ${length} for type ${type}`);
    }
    if (avail < length) return null;
    this.off = o + length;
    if (this.off === this.end) {
      this.buf = EMPTY;
      this.off = 0;
      this.end = 0;
      this.owned = false;
    }
    return { type, body: b.subarray(o + HEADER_LENGTH, o + length), raw: b.subarray(o, o + length) };
  }
}
