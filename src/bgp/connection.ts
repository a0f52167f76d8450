// One transport connection of a session: bytes in through the framer
// (RFC 4271 §4.1 message boundaries), messages out in two lanes. Control
// messages (NOTIFICATION, KEEPALIVE, OPEN, ROUTE-REFRESH) are written at
// once; UPDATE chunks are written only while the stream wants more, and the
// session pulls the next batch from the Adj-RIB-Out on 'drain'. Because at
// most one chunk of UPDATEs waits in the stream, a KEEPALIVE never sits
// behind a whole routing table. Any Duplex works, so tests need no socket.

import type { Duplex } from 'node:stream';
import { Framer } from './wire/framer.js';
import { BgpError } from './wire/errors.js';
import { MAX_MESSAGE_LENGTH } from './wire/constants.js';

export interface ConnectionHandlers {
  /** One whole message; `body` is a view valid only during the call. */
  onFrame(type: number, body: Uint8Array): void;
  /** The byte stream is not BGP (marker, length, type): RFC 4271 §6.1. */
  onHeaderError(error: BgpError): void;
  /** The stream ended or failed; not called after close()/destroy() by us. */
  onClose(error?: Error): void;
  /** The stream accepts more bulk data. */
  onDrain(): void;
}

export interface ConnectionInfo {
  /** True when we dialed; false when the peer connected to our listener (RFC 4271 §6.8). */
  readonly initiatedLocally: boolean;
  readonly localAddress?: string;
  readonly remoteAddress?: string;
}

const CLOSE_GRACE_MS = 3000;

export class Connection {
  private readonly framer = new Framer(MAX_MESSAGE_LENGTH);
  private closed = false;
  /** Set after a header error: the byte stream has lost message boundaries (RFC 4271 §6.1). */
  private desynchronized = false;
  private waitingDrain = false;
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(
    private readonly stream: Duplex,
    private handlers: ConnectionHandlers,
    readonly info: ConnectionInfo,
  ) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('drain', () => {
      this.waitingDrain = false;
      if (!this.closed) this.handlers.onDrain();
    });
    stream.on('error', (err: Error) => this.finish(err));
    stream.on('end', () => this.finish());
    stream.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True while a bulk write waits for 'drain'. */
  get congested(): boolean {
    return this.waitingDrain;
  }

  get counters(): { bytesIn: number; bytesOut: number } {
    return { bytesIn: this.bytesIn, bytesOut: this.bytesOut };
  }

  /** Hands the connection to new handlers (a collision winner becomes the session's connection). */
  rebind(handlers: ConnectionHandlers): void {
    this.handlers = handlers;
  }

  /** RFC 8654: the largest message the peer may send us once negotiated. */
  setMaxLength(n: number): void {
    this.framer.setMaxLength(n);
  }

  /** A control message: written now, ahead of any UPDATE not yet pulled. */
  send(message: Uint8Array): void {
    if (this.closed) return;
    this.bytesOut += message.length;
    this.stream.write(message);
  }

  /** UPDATE chunks; returns false when the caller must wait for onDrain. */
  sendBulk(chunks: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    let ok = true;
    for (const c of chunks) {
      this.bytesOut += c.length;
      ok = this.stream.write(c);
    }
    if (!ok) this.waitingDrain = true;
    return ok;
  }

  /** Flushes what was written (a NOTIFICATION, say), sends FIN, and resolves once closed. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const stream = this.stream;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stream.destroy();
        resolve();
      }, CLOSE_GRACE_MS);
      timer.unref?.();
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      stream.once('close', done);
      stream.on('error', () => undefined);
      stream.end(() => {
        // Our FIN is out; the peer's FIN may never come, do not wait for it.
        setImmediate(() => stream.destroy());
      });
      if (stream.destroyed) done();
    });
  }

  /** Drops the connection at once (RST where the stream is a socket). */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.on('error', () => undefined);
    this.stream.destroy();
  }

  private onData(chunk: Buffer): void {
    // RFC 4271 §6.1: after a header error nothing more can be framed; report it once.
    if (this.closed || this.desynchronized) return;
    this.bytesIn += chunk.length;
    this.framer.push(chunk);
    try {
      for (;;) {
        if (this.closed) return;
        const frame = this.framer.next();
        if (frame === null) return;
        this.handlers.onFrame(frame.type, frame.body);
      }
    } catch (err) {
      if (err instanceof BgpError) {
        this.desynchronized = true;
        this.handlers.onHeaderError(err);
        return;
      }
      throw err;
    }
  }

  private finish(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.on('error', () => undefined);
    this.stream.destroy();
    this.handlers.onClose(error);
  }
}
