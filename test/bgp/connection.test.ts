// Connection over in-memory Duplex streams: message framing across and
// within chunks (RFC 4271 §4.1), header errors (§6.1) reported once, bulk
// writes that respect backpressure ('drain'), and close() that flushes a
// NOTIFICATION before the FIN (§4.5: send, then close).

import { Duplex } from 'node:stream';
import test from 'ava';
import { Connection, type ConnectionHandlers } from '../../src/bgp/connection.js';
import { encodeKeepalive, encodeNotification, encodeOpen, BgpError } from '../../src/bgp/wire/index.js';
import { peerOpen } from './helpers/peer.js';
import { duplexPair, settle, waitFor } from './helpers/streams.js';

interface Recorder extends ConnectionHandlers {
  frames: { type: number; body: Buffer }[];
  headerErrors: BgpError[];
  closes: (Error | undefined)[];
  drains: number;
}

function recorder(): Recorder {
  const r: Recorder = {
    frames: [],
    headerErrors: [],
    closes: [],
    drains: 0,
    onFrame: (type, body) => r.frames.push({ type, body: Buffer.from(body) }),
    onHeaderError: (err) => r.headerErrors.push(err),
    onClose: (err) => r.closes.push(err),
    onDrain: () => r.drains++,
  };
  return r;
}

function pair(t: import('ava').ExecutionContext): { conn: Connection; peer: Duplex; rec: Recorder } {
  const [ours, peer] = duplexPair();
  const rec = recorder();
  const conn = new Connection(ours, rec, { initiatedLocally: true });
  t.teardown(() => {
    conn.destroy();
    peer.destroy();
  });
  return { conn, peer, rec };
}

test('a message split over many chunks arrives once, whole', async (t) => {
  const { peer, rec } = pair(t);
  const open = encodeOpen(peerOpen());
  const bytes = Buffer.concat([open, encodeKeepalive()]);
  for (let i = 0; i < bytes.length; i++) {
    peer.write(bytes.subarray(i, i + 1));
    if (i % 7 === 0) await settle(1);
  }
  await waitFor(() => rec.frames.length === 2, 'two frames');
  t.is(rec.frames[0]!.type, 1);
  t.deepEqual(rec.frames[0]!.body, open.subarray(19));
  t.is(rec.frames[1]!.type, 4);
  t.is(rec.frames[1]!.body.length, 0);
  t.deepEqual(rec.headerErrors, []);
});

test('many messages in one chunk all arrive, in order', async (t) => {
  const { peer, rec } = pair(t);
  const parts: Buffer[] = [];
  for (let i = 0; i < 500; i++) {
    parts.push(encodeKeepalive());
    parts.push(encodeNotification(6, i % 10));
  }
  peer.write(Buffer.concat(parts));
  await waitFor(() => rec.frames.length === 1000, '1000 frames');
  t.true(rec.frames.every((f, i) => (i % 2 === 0 ? f.type === 4 : f.type === 3 && f.body[1] === ((i - 1) / 2) % 10)));
});

test('a bad marker is reported once as Connection Not Synchronized, and later bytes are not read', async (t) => {
  const { conn, peer, rec } = pair(t);
  const bad = Buffer.from(encodeKeepalive());
  bad[3] = 0;
  peer.write(Buffer.concat([encodeKeepalive(), bad]));
  await waitFor(() => rec.headerErrors.length > 0, 'a header error');
  peer.write(encodeKeepalive());
  peer.write(encodeKeepalive());
  await settle(10);
  t.is(rec.headerErrors.length, 1);
  t.is(rec.headerErrors[0]!.code, 1);
  t.is(rec.headerErrors[0]!.subcode, 1);
  t.is(rec.frames.length, 1, 'the message before the error was delivered, nothing after');
  t.false(conn.isClosed, 'closing is the session\'s decision');
});

test('a bad length is reported with the length field as data', async (t) => {
  const { peer, rec } = pair(t);
  const bad = Buffer.from(encodeKeepalive());
  bad.writeUInt16BE(18, 16);
  peer.write(bad);
  await waitFor(() => rec.headerErrors.length > 0, 'a header error');
  t.is(rec.headerErrors[0]!.subcode, 2);
  t.deepEqual([...rec.headerErrors[0]!.data], [0, 18]);
});

/** A stream whose reader takes bytes only when told: writes complete on release(). */
class SlowStream extends Duplex {
  readonly held: (() => void)[] = [];
  readonly written: Buffer[] = [];
  constructor() {
    super({ writableHighWaterMark: 1024 });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.written.push(chunk);
    this.held.push(cb);
  }
  release(): void {
    for (const cb of this.held.splice(0)) cb();
  }
}

test('sendBulk returns false on a slow reader, and onDrain fires once it catches up', async (t) => {
  const stream = new SlowStream();
  const rec = recorder();
  const conn = new Connection(stream, rec, { initiatedLocally: true });
  t.teardown(() => conn.destroy());
  t.true(conn.sendBulk([Buffer.alloc(100)]), 'below the high-water mark');
  t.false(conn.sendBulk([Buffer.alloc(5000)]));
  t.true(conn.congested);
  await settle(3);
  t.is(rec.drains, 0, 'no drain while the reader is stuck');
  while (stream.held.length > 0) {
    stream.release();
    await settle(2);
  }
  await waitFor(() => rec.drains === 1, 'drain');
  t.false(conn.congested);
  t.is(conn.counters.bytesOut, 5100);
});

test('close() sends a NOTIFICATION queued before it, then FIN, and does not report its own close', async (t) => {
  const { conn, peer, rec } = pair(t);
  const got: Buffer[] = [];
  let ended = false;
  peer.on('data', (c: Buffer) => got.push(c));
  peer.on('end', () => (ended = true));
  const n = encodeNotification(6, 2);
  conn.send(n);
  await conn.close();
  await waitFor(() => ended, 'FIN at the peer');
  t.deepEqual(Buffer.concat(got), n);
  t.true(conn.isClosed);
  t.deepEqual(rec.closes, []);
  conn.send(encodeKeepalive());
  t.false(conn.sendBulk([encodeKeepalive()]), 'nothing is written after close');
  await settle(3);
  t.deepEqual(Buffer.concat(got), n);
});

test('the peer closing is reported once, without an error', async (t) => {
  const { peer, rec, conn } = pair(t);
  peer.end();
  await waitFor(() => rec.closes.length > 0, 'onClose');
  await settle(5);
  t.deepEqual(rec.closes, [undefined]);
  t.true(conn.isClosed);
});

test('a stream error is reported once, with the error', async (t) => {
  const stream = new SlowStream();
  const rec = recorder();
  const conn = new Connection(stream, rec, { initiatedLocally: false });
  t.teardown(() => conn.destroy());
  stream.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  await waitFor(() => rec.closes.length > 0, 'onClose');
  await settle(5);
  t.is(rec.closes.length, 1);
  t.is(rec.closes[0]?.message, 'read ECONNRESET');
});
