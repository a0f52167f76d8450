// In-memory byte streams for protocol tests: a pair of connected Duplex ends
// that behave like the two sides of a TCP connection (end() is a FIN the
// other side reads as 'end'; destroy() drops both directions), and a
// polling wait on the real event loop for conditions that streams settle.

import { Duplex } from 'node:stream';

class PairEnd extends Duplex {
  other: PairEnd | null = null;
  /** Set once end of stream was pushed: nothing may be pushed after it. */
  eof = false;

  deliver(chunk: Buffer | null): void {
    if (this.eof || this.destroyed) return;
    if (chunk === null) this.eof = true;
    this.push(chunk);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const other = this.other;
    other?.deliver(Buffer.from(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Our FIN: the other side reads end of stream.
    const other = this.other;
    other?.deliver(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const other = this.other;
    this.other = null;
    if (other && !other.destroyed) {
      other.other = null;
      other.deliver(null);
      // Like an RST: the peer's socket goes away too.
      setImmediate(() => other.destroy());
    }
    callback(error);
  }
}

/** Two connected in-memory ends: what one writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}

/** Resolves once `cond()` holds, turning the real event loop; rejects after `ms` real milliseconds. */
export async function waitFor(cond: () => boolean, what = 'condition', ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lets pending stream callbacks and setImmediate work run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
