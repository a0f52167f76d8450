// A growable big-endian byte writer for building BGP messages: reserve a
// length field, write the body, then back-patch the length (RFC 4271 §4.1
// header length, §4.3 length fields). Each call site owns its own Writer.

export class Writer {
  private buf: Buffer;
  /** Octets written so far. */
  length = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialSize));
  }

  /** Makes room for `n` more octets. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** `n` octets of `value` (e.g. the all-ones marker). */
  fill(value: number, n: number): this {
    this.ensure(n);
    this.buf.fill(value, this.length, this.length + n);
    this.length += n;
    return this;
  }

  /** Reserves a 2-octet field; returns its offset for `patch16`. */
  reserve16(): number {
    this.ensure(2);
    const at = this.length;
    this.length += 2;
    return at;
  }

  /** Reserves a 1-octet field; returns its offset for `patch8`. */
  reserve8(): number {
    this.ensure(1);
    return this.length++;
  }

  patch16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  patch8(at: number, v: number): void {
    this.buf[at] = v & 0xff;
  }

  /**
   * Direct access for hot loops (NLRI): ensure(n) first, write at `length`,
   * then advance `length` yourself.
   */
  get raw(): Buffer {
    return this.buf;
  }

  /** The written octets as a view of the internal buffer; do not write after this. */
  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Starts a BGP message at the writer's start: marker, length placeholder, type (RFC 4271 §4.1). */
export function beginMessage(w: Writer, type: number): void {
  w.fill(0xff, 16);
  w.reserve16();
  w.u8(type);
}

/** Back-patches the header length of a message begun with `beginMessage` at offset 0; returns the bytes. */
export function endMessage(w: Writer): Buffer {
  w.patch16(16, w.length);
  return w.finish();
}
