// A bounds-checked cursor over received bytes. Every read checks the octets
// left and throws the BgpError (code, subcode) its owner chose, so that a
// truncated message produces the NOTIFICATION RFC 4271 §6 prescribes for
// that field, never a RangeError.

import { BgpError } from './errors.js';

export class Reader {
  private readonly buf: Uint8Array;
  private readonly end: number;
  /** Offset of the next octet to read. */
  pos: number;
  code: number;
  subcode: number;

  constructor(buf: Uint8Array, code: number, subcode: number, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.code = code;
    this.subcode = subcode;
  }

  /** Octets not yet read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws the reader's error (or the one given) unless `n` octets are left. */
  need(n: number, code = this.code, subcode = this.subcode, what?: string): void {
    if (this.end - this.pos < n) {
      throw new BgpError(code, subcode, undefined, `truncated${what ? ' ' + what : ''}: need ${n} octets, ${this.end - this.pos} left`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const v = (b[this.pos] << 8) | b[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    const v = b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
    this.pos += 4;
    return v;
  }

  /** A view (no copy) of the next `n` octets; copy it if it must outlive the message. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** A reader over the next `n` octets with its own error, advancing this one past them. */
  sub(n: number, code = this.code, subcode = this.subcode): Reader {
    this.need(n);
    const r = new Reader(this.buf, code, subcode, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}
