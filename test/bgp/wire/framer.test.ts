import test from 'ava';
import {
  BgpError,
  Framer,
  decodeMessage,
  encodeEndOfRib,
  encodeKeepalive,
  encodeMessage,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeShutdownCommunication,
  encodeUpdate,
  parsePrefix,
  type BgpMessage,
} from '../../../src/bgp/wire/index.js';
import { AS4, MARKER, hex } from './helpers.js';

function sampleMessages(): Buffer[] {
  return [
    encodeOpen({
      version: 4,
      myAs: 65010,
      holdTime: 90,
      bgpIdentifier: '172.16.0.11',
      capabilities: [{ code: 1, afi: 1, safi: 1 }, { code: 65, asn: 65010 }, { code: 2 }],
    }),
    encodeKeepalive(),
    encodeUpdate(
      {
        withdrawn: [parsePrefix('10.9.0.0/16')],
        attributes: { origin: 0, asPath: [{ type: 2, asns: [65010] }], nextHop: '172.16.0.11' },
        nlri: [parsePrefix('10.244.1.0/24'), parsePrefix('10.244.2.0/24')],
      },
      AS4,
    ),
    encodeUpdate(
      {
        withdrawn: [],
        attributes: { origin: 0, asPath: [{ type: 2, asns: [65010] }] },
        nlri: [],
        mpReach: { afi: 2, safi: 1, nextHops: ['fd00::11'], nlri: [parsePrefix('fd00:10:244:1::/64')] },
      },
      AS4,
    ),
    encodeEndOfRib(1, 1),
    encodeEndOfRib(2, 1),
    encodeRouteRefresh(1, 1),
    encodeNotification(6, 2, encodeShutdownCommunication('bye')),
  ];
}

function drain(f: Framer): { type: number; raw: Buffer }[] {
  const out: { type: number; raw: Buffer }[] = [];
  for (let m = f.next(); m !== null; m = f.next()) out.push({ type: m.type, raw: Buffer.from(m.raw) });
  return out;
}

test('every message split at every offset comes out whole and decodes to the same value', (t) => {
  for (const msg of sampleMessages()) {
    const want = decodeMessage(msg[18], msg.subarray(19), AS4);
    for (let cut = 0; cut <= msg.length; cut++) {
      const f = new Framer();
      f.push(msg.subarray(0, cut));
      const first = drain(f);
      f.push(msg.subarray(cut));
      const frames = [...first, ...drain(f)];
      t.is(frames.length, 1, `cut at ${cut}`);
      t.deepEqual(frames[0].raw, msg);
      t.deepEqual(decodeMessage(frames[0].type, frames[0].raw.subarray(19), AS4), want);
    }
  }
});

test('many messages in one chunk come out in order as views of the chunk', (t) => {
  const msgs = sampleMessages();
  const chunk = Buffer.concat([...msgs, ...msgs]);
  const f = new Framer();
  f.push(chunk);
  const frames: { raw: Uint8Array }[] = [];
  for (let m = f.next(); m !== null; m = f.next()) frames.push(m);
  t.is(frames.length, msgs.length * 2);
  frames.forEach((fr, i) => {
    t.deepEqual(Buffer.from(fr.raw), msgs[i % msgs.length]);
    t.is(fr.raw.buffer, chunk.buffer, 'a view, not a copy');
  });
  t.is(f.buffered, 0);
});

test('a stream fed one octet at a time yields every message', (t) => {
  const msgs = sampleMessages();
  const stream = Buffer.concat(msgs);
  const f = new Framer();
  const got: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) {
    f.push(stream.subarray(i, i + 1));
    for (let m = f.next(); m !== null; m = f.next()) got.push(Buffer.from(m.raw));
  }
  t.deepEqual(got, msgs);
});

test('messages straddling chunks of random sizes round-trip through encodeMessage', (t) => {
  const msgs = sampleMessages();
  const values = msgs.map((m) => decodeMessage(m[18], m.subarray(19), AS4));
  const stream = Buffer.concat(values.map((v) => encodeMessage(v, AS4)));
  t.deepEqual(stream, Buffer.concat(msgs));
  const f = new Framer();
  const got: BgpMessage[] = [];
  let seed = 7;
  for (let i = 0; i < stream.length; ) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (seed % 40);
    f.push(stream.subarray(i, i + n));
    i += n;
    for (let m = f.next(); m !== null; m = f.next()) got.push(decodeMessage(m.type, m.body, AS4));
  }
  t.deepEqual(got, values);
});

function expectError(t: import('ava').ExecutionContext, bytes: Buffer, code: number, subcode: number, data?: number[], max?: number): void {
  const f = new Framer(max);
  f.push(bytes);
  const err = t.throws(() => f.next(), { instanceOf: BgpError });
  t.is(err?.code, code);
  t.is(err?.subcode, subcode);
  if (data) t.deepEqual([...(err?.data ?? [])], data);
}

test('a marker that is not all ones is Connection Not Synchronized (1,1)', (t) => {
  const msg = encodeKeepalive();
  msg[3] = 0xfe;
  expectError(t, msg, 1, 1);
});

test('lengths below 19 or above the maximum are Bad Message Length (1,2) with the length field as data', (t) => {
  expectError(t, hex(`${MARKER} 00 12 04`), 1, 2, [0x00, 0x12]);
  expectError(t, hex(`${MARKER} 10 01 02`), 1, 2, [0x10, 0x01]);
  expectError(t, hex(`${MARKER} ff ff 02`), 1, 2, [0xff, 0xff]);
});

test('per-type lengths of RFC 4271 §6.1 are enforced', (t) => {
  expectError(t, hex(`${MARKER} 00 1c 01`), 1, 2, [0x00, 0x1c]); // OPEN < 29
  expectError(t, hex(`${MARKER} 00 16 02`), 1, 2, [0x00, 0x16]); // UPDATE < 23
  expectError(t, hex(`${MARKER} 00 14 03`), 1, 2, [0x00, 0x14]); // NOTIFICATION < 21
  expectError(t, hex(`${MARKER} 00 14 04 00`), 1, 2, [0x00, 0x14]); // KEEPALIVE != 19
  expectError(t, hex(`${MARKER} 00 18 05 00 01 00 01 00`), 1, 2, [0x00, 0x18]); // ROUTE-REFRESH != 23
});

test('a ROUTE-REFRESH BoRR with a bad length is ROUTE-REFRESH Message Error (7,1) carrying the message (RFC 7313 §5)', (t) => {
  const msg = hex(`${MARKER} 00 18 05 00 01 01 01 00`);
  expectError(t, msg, 7, 1, [...msg]);
});

test('an unknown message type is Bad Message Type (1,3) with the type as data', (t) => {
  expectError(t, hex(`${MARKER} 00 13 06`), 1, 3, [6]);
  expectError(t, hex(`${MARKER} 00 13 00`), 1, 3, [0]);
});

test('extended messages raise the limit to 65535 for UPDATE but not for OPEN (RFC 8654)', (t) => {
  const big = Buffer.alloc(5000);
  hex(`${MARKER} 13 88 02`).copy(big);
  expectError(t, Buffer.from(big), 1, 2, [0x13, 0x88]);
  const f = new Framer();
  f.setMaxLength(65535);
  f.push(big);
  // The 5000-octet UPDATE is now framed (its body is zeros: lengths 0 and 0 then NLRI of zeros).
  const frame = f.next();
  t.is(frame?.raw.length, 5000);
  const open = Buffer.alloc(5000);
  hex(`${MARKER} 13 88 01`).copy(open);
  expectError(t, open, 1, 2, [0x13, 0x88], 65535);
});

test('the header is checked as soon as it arrives, before the body', (t) => {
  const f = new Framer();
  f.push(hex(`${MARKER} 00 13 09`));
  t.throws(() => f.next(), { instanceOf: BgpError, message: /type 9/ });
  const g = new Framer();
  g.push(hex(`${MARKER} 00 40 02 00`));
  t.is(g.next(), null);
});
