// Property: random bytes and mutated valid messages (bit flips, truncation,
// length-field edits) fed to the framer and decodeMessage never throw
// anything but a BgpError, and every BgpError names a real NOTIFICATION.

import test from 'ava';
import fc from 'fast-check';
import {
  BgpError,
  Framer,
  decodeMessage,
  describeNotification,
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeShutdownCommunication,
  encodeUpdate,
  parsePrefix,
  type CodecContext,
} from '../../../src/bgp/wire/index.js';
import { AS2, AS4, AS4_EXT } from './helpers.js';

/** Subcodes each code may carry (RFC 4271 §4.5 and the RFCs in constants.ts). */
const VALID_SUBCODES: Record<number, readonly number[]> = {
  1: [1, 2, 3],
  2: [0, 1, 2, 3, 4, 6, 7, 11],
  3: [1, 2, 3, 4, 5, 6, 8, 9, 10, 11],
  4: [0],
  5: [0, 1, 2, 3],
  6: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  7: [1],
};

const SEEDS: Buffer[] = [
  encodeOpen({
    version: 4,
    myAs: 65010,
    holdTime: 90,
    bgpIdentifier: '172.16.0.11',
    capabilities: [
      { code: 1, afi: 1, safi: 1 },
      { code: 1, afi: 2, safi: 1 },
      { code: 2 },
      { code: 65, asn: 4200000001 },
      { code: 64, restartState: true, notification: true, restartTime: 600, families: [{ afi: 1, safi: 1, forwarding: true }] },
      { code: 6 },
    ],
  }),
  encodeKeepalive(),
  encodeUpdate(
    {
      withdrawn: [parsePrefix('10.9.0.0/16')],
      attributes: {
        origin: 0,
        asPath: [{ type: 2, asns: [65010, 4200000001] }, { type: 1, asns: [1, 2] }],
        nextHop: '172.16.0.11',
        med: 5,
        localPref: 100,
        atomicAggregate: true,
        aggregator: { asn: 65010, address: '172.16.0.11' },
        communities: [1, 2],
        unknown: [{ flags: 0xc0, typeCode: 99, value: Uint8Array.of(1, 2, 3) }],
      },
      nlri: [parsePrefix('10.244.1.0/24'), parsePrefix('10.244.2.0/23')],
    },
    AS2,
  ),
  encodeUpdate(
    {
      withdrawn: [],
      attributes: { origin: 0, asPath: [] },
      nlri: [],
      mpReach: { afi: 2, safi: 1, nextHops: ['fd00::11', 'fe80::1'], nlri: [parsePrefix('fd00:10:244:1::/64')] },
      mpUnreach: { afi: 2, safi: 1, withdrawn: [parsePrefix('fd00:10:244:2::/64')] },
    },
    AS4,
  ),
  encodeEndOfRib(2, 1),
  encodeRouteRefresh(1, 1, 1),
  encodeNotification(6, 2, encodeShutdownCommunication('maintenance')),
];

function check(bytes: Uint8Array, ctx: CodecContext): void {
  const f = new Framer(ctx.extendedMessage ? 65535 : 4096);
  f.push(bytes);
  try {
    for (let i = 0; i < 100; i++) {
      const frame = f.next();
      if (frame === null) return;
      decodeMessage(frame.type, frame.body, ctx);
    }
  } catch (err) {
    if (!(err instanceof BgpError)) throw err;
    if (!(err.code in VALID_SUBCODES) || !VALID_SUBCODES[err.code].includes(err.subcode)) {
      throw new Error(`BgpError with invalid code/subcode ${err.code}/${err.subcode}: ${err.message}`);
    }
    if (!(err.data instanceof Uint8Array)) throw new Error('BgpError data is not bytes');
    describeNotification(err.code, err.subcode, err.data);
  }
}

const ctxArb = fc.constantFrom(AS2, AS4, AS4_EXT);

test('random bytes after a valid header never throw anything but a valid BgpError', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ maxLength: 300 }), ctxArb, (type, body, ctx) => {
        const msg = new Uint8Array(19 + body.length);
        msg.fill(0xff, 0, 16);
        msg[16] = msg.length >> 8;
        msg[17] = msg.length & 0xff;
        msg[18] = type;
        msg.set(body, 19);
        check(msg, ctx);
      }),
      { numRuns: 5000 },
    ),
  );
});

test('fully random byte streams never throw anything but a valid BgpError', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), ctxArb, (bytes, ctx) => check(bytes, ctx)), { numRuns: 2000 }));
});

test('mutated valid messages (bit flips, truncation, length edits) never throw anything but a valid BgpError', (t) => {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('length' as const), at: fc.nat(), delta: fc.integer({ min: -8, max: 8 }) }),
  );
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), ctxArb, (i, muts, ctx) => {
        let m = Buffer.from(SEEDS[i]);
        for (const mu of muts) {
          if (m.length === 0) break;
          const at = mu.at % m.length;
          if (mu.kind === 'flip') m[at] ^= 1 << mu.bit;
          else if (mu.kind === 'set') m[at] = mu.value;
          else if (mu.kind === 'truncate') {
            // Keep the header length field consistent so the body decoder sees the truncation.
            m = m.subarray(0, Math.max(19, at));
            m.writeUInt16BE(m.length, 16);
          } else {
            // Edit a length octet inside the body (withdrawn/attribute/parameter lengths live there).
            const pos = 19 + (at % Math.max(1, m.length - 19));
            if (pos < m.length) m[pos] = (m[pos] + mu.delta) & 0xff;
          }
        }
        check(m, ctx);
      }),
      { numRuns: 20000 },
    ),
  );
});
