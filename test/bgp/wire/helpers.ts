// Test helpers for the wire codec: annotated hex (one field per line,
// `#` comments) to bytes, and the codec contexts the tests use.

import type { CodecContext } from '../../../src/bgp/wire/index.js';

/** Bytes from annotated hex: everything after `#` on a line is a comment; whitespace is ignored. */
export function hex(text: string): Buffer {
  const digits = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex: ${digits}`);
  return Buffer.from(digits, 'hex');
}

/** The 16-octet all-ones marker as hex. */
export const MARKER = 'ff'.repeat(16);

export const AS4: CodecContext = Object.freeze({ as4: true, extendedMessage: false });
export const AS2: CodecContext = Object.freeze({ as4: false, extendedMessage: false });
export const AS4_EXT: CodecContext = Object.freeze({ as4: true, extendedMessage: true });
