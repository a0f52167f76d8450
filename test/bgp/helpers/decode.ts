// Decodes what the packer wrote: each chunk framed on its own (so a message
// split across chunks is caught), every message decoded with the wire codec.

import { Framer, MAX_EXTENDED_MESSAGE_LENGTH, decodeMessage, type BgpMessage, type CodecContext } from '../../../src/bgp/wire/index.js';

export interface Decoded {
  readonly message: BgpMessage;
  readonly raw: Buffer;
}

export function decodeChunks(chunks: readonly Uint8Array[], ctx: CodecContext): Decoded[] {
  const out: Decoded[] = [];
  for (const chunk of chunks) {
    const framer = new Framer(MAX_EXTENDED_MESSAGE_LENGTH);
    framer.push(chunk);
    for (let f = framer.next(); f !== null; f = framer.next()) {
      const raw = Buffer.from(f.raw);
      out.push({ message: decodeMessage(f.type, raw.subarray(19), ctx), raw });
    }
    if (framer.buffered !== 0) throw new Error(`a chunk ends inside a message (${framer.buffered} octets left)`);
  }
  return out;
}

/** The path attributes of an UPDATE as [flags, type, length, header length], read from the raw bytes. */
export function rawAttributes(raw: Buffer): { flags: number; type: number; length: number; headerLength: number }[] {
  const withdrawnLen = raw.readUInt16BE(19);
  let p = 21 + withdrawnLen;
  const total = raw.readUInt16BE(p);
  p += 2;
  const end = p + total;
  const out = [];
  while (p < end) {
    const flags = raw[p]!;
    const type = raw[p + 1]!;
    const extended = (flags & 0x10) !== 0;
    const length = extended ? raw.readUInt16BE(p + 2) : raw[p + 2]!;
    const headerLength = extended ? 4 : 3;
    out.push({ flags, type, length, headerLength });
    p += headerLength + length;
  }
  if (p !== end) throw new Error('attributes overrun the Total Path Attribute Length');
  return out;
}
