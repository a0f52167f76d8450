// RFC 4271 §6.3 and RFC 7606: each malformed UPDATE gives the exact
// NOTIFICATION, or the treat-as-withdraw / attribute-discard outcome.

import test, { type ExecutionContext } from 'ava';
import { BgpError, decodeUpdate, type UpdateMessage } from '../../../src/bgp/wire/index.js';
import { AS2, AS4, hex } from './helpers.js';

const ORIGIN = '40 01 01 00';
const AS_PATH = '40 02 06 02 01 00 00 fd ea'; // AS_SEQUENCE 65002, 4-octet
const NEXT_HOP = '40 03 04 c0 00 02 01';
const NLRI = '18 0a f4 01';

/** An UPDATE body from attribute hex and NLRI hex; lengths computed here. */
function body(attrs: string, nlri = NLRI, withdrawn = ''): Buffer {
  const w = hex(withdrawn);
  const a = hex(attrs);
  const n = hex(nlri);
  const b = Buffer.alloc(4 + w.length + a.length + n.length);
  b.writeUInt16BE(w.length, 0);
  w.copy(b, 2);
  b.writeUInt16BE(a.length, 2 + w.length);
  a.copy(b, 4 + w.length);
  n.copy(b, 4 + w.length + a.length);
  return b;
}

function resets(t: ExecutionContext, b: Buffer, code: number, subcode: number, data?: Buffer): void {
  const err = t.throws(() => decodeUpdate(b, AS4), { instanceOf: BgpError });
  t.is(err?.code, code);
  t.is(err?.subcode, subcode);
  if (data) t.deepEqual(Buffer.from(err!.data), data);
}

function withdraws(t: ExecutionContext, b: Buffer, pattern: RegExp, ctx = AS4): UpdateMessage {
  const m = decodeUpdate(b, ctx);
  t.regex(m.treatAsWithdraw ?? '', pattern);
  t.is(m.nlri.length > 0 || m.mpReach !== undefined, true, 'the prefixes are still reported so they can be withdrawn');
  return m;
}

function discards(t: ExecutionContext, b: Buffer, pattern: RegExp, ctx = AS4): UpdateMessage {
  const m = decodeUpdate(b, ctx);
  t.is(m.treatAsWithdraw, undefined);
  t.true((m.discarded ?? []).some((d) => pattern.test(d)), JSON.stringify(m.discarded));
  return m;
}

test('a well-formed UPDATE has neither treatAsWithdraw nor discarded', (t) => {
  const m = decodeUpdate(body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`), AS4);
  t.is(m.treatAsWithdraw, undefined);
  t.is(m.discarded, undefined);
  t.is(m.nlri[0].key, '10.244.1.0/24');
});

test('a Withdrawn Routes Length that overruns the message is Malformed Attribute List (3,1)', (t) => {
  resets(t, hex('00 10 00 00'), 3, 1);
  resets(t, hex('00'), 3, 1);
});

test('a Total Path Attribute Length that overruns the message is Malformed Attribute List (3,1)', (t) => {
  resets(t, hex('00 00 00 20 40 01 01 00'), 3, 1);
});

test('a malformed NLRI or withdrawn prefix is Invalid Network Field (3,10) (RFC 7606 §5.3)', (t) => {
  resets(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, '21 0a 00 00 00 00'), 3, 10); // /33
  resets(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, '18 0a f4'), 3, 10); // overrun
  resets(t, body('', '', '18 0a'), 3, 10);
  resets(t, body('', '', '28 0a 00 00 00 00'), 3, 10);
});

test('an unparseable MP_REACH_NLRI or MP_UNREACH_NLRI resets with Optional Attribute Error (3,9) and the attribute as data', (t) => {
  const badNh = '80 0e 0a 00 02 01 04 c0 00 02 01 00 00'; // IPv6 with a 4-octet next hop
  resets(t, body(`${badNh} ${ORIGIN} ${AS_PATH}`, ''), 3, 9, hex(badNh));
  resets(t, body(`80 0e 0e 00 02 01 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 ${ORIGIN}`, ''), 3, 9); // short next hop
  resets(t, body(`80 0e 16 00 02 01 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 01 00 81 ${ORIGIN} ${AS_PATH}`, ''), 3, 9); // /129
  resets(t, body('80 0f 05 00 02 01 40 20', ''), 3, 9); // withdrawn prefix overrun
  resets(t, body('80 0f 02 00 02', ''), 3, 9); // too short
});

test('a repeated MP_REACH_NLRI or MP_UNREACH_NLRI is Malformed Attribute List (3,1) (RFC 7606 §3 g)', (t) => {
  resets(t, body('80 0f 03 00 02 01 80 0f 03 00 02 01', ''), 3, 1);
});

test('an unrecognized well-known attribute is (3,2) with the attribute as data', (t) => {
  resets(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 63 02 ab cd`), 3, 2, hex('40 63 02 ab cd'));
});

test('an unknown optional attribute is kept in attributes.unknown', (t) => {
  const m = decodeUpdate(body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 63 02 ab cd`), AS4);
  t.deepEqual(m.attributes.unknown, [{ flags: 0xc0, typeCode: 0x63, value: new Uint8Array([0xab, 0xcd]) }]);
  t.is(m.treatAsWithdraw, undefined);
});

test('a bad ORIGIN value or length is treat-as-withdraw (RFC 7606 §7.1)', (t) => {
  withdraws(t, body(`40 01 01 03 ${AS_PATH} ${NEXT_HOP}`), /ORIGIN value 3/);
  withdraws(t, body(`40 01 02 00 00 ${AS_PATH} ${NEXT_HOP}`), /ORIGIN length 2/);
});

test('a malformed AS_PATH is treat-as-withdraw (RFC 7606 §7.2)', (t) => {
  withdraws(t, body(`${ORIGIN} 40 02 06 02 02 00 00 fd ea ${NEXT_HOP}`), /AS_PATH.*overruns/);
  withdraws(t, body(`${ORIGIN} 40 02 02 02 00 ${NEXT_HOP}`), /AS_PATH.*zero/);
  withdraws(t, body(`${ORIGIN} 40 02 06 05 01 00 00 fd ea ${NEXT_HOP}`), /AS_PATH.*segment type 5/);
  withdraws(t, body(`${ORIGIN} 40 02 03 02 01 00 ${NEXT_HOP}`), /AS_PATH/, AS2);
});

test('NEXT_HOP, MED and LOCAL_PREF with a length other than 4 are treat-as-withdraw (RFC 7606 §7.3-7.5)', (t) => {
  withdraws(t, body(`${ORIGIN} ${AS_PATH} 40 03 05 c0 00 02 01 00`), /NEXT_HOP length 5/);
  withdraws(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 80 04 03 00 00 01`), /MULTI_EXIT_DISC length 3/);
  withdraws(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 05 02 00 64`), /LOCAL_PREF length 2/);
});

test('COMMUNITIES that are not a non-zero multiple of 4 are treat-as-withdraw (RFC 7606 §7.8)', (t) => {
  withdraws(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 03 00 00 01`), /COMMUNITIES length 3/);
  withdraws(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 08 00`), /COMMUNITIES length 0/);
});

test('a flags error on a well-known attribute is treat-as-withdraw (RFC 7606 §3 c)', (t) => {
  withdraws(t, body(`c0 01 01 00 ${AS_PATH} ${NEXT_HOP}`), /ORIGIN has flags 0xc0/);
  withdraws(t, body(`${ORIGIN} ${AS_PATH} 60 03 04 c0 00 02 01`), /NEXT_HOP has flags 0x60/); // Partial set
});

test('missing ORIGIN, AS_PATH or NEXT_HOP with IPv4 NLRI is treat-as-withdraw (RFC 7606 §3 d)', (t) => {
  withdraws(t, body(`${AS_PATH} ${NEXT_HOP}`), /missing well-known attribute ORIGIN/);
  withdraws(t, body(`${ORIGIN} ${NEXT_HOP}`), /missing well-known attribute AS_PATH/);
  withdraws(t, body(`${ORIGIN} ${AS_PATH}`), /missing well-known attribute NEXT_HOP/);
});

test('NEXT_HOP is not needed when the only NLRI is in MP_REACH_NLRI', (t) => {
  const mp = '80 0e 1e 00 02 01 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 00 40 20 01 0d b8 00 01 00 00';
  const m = decodeUpdate(body(`${mp} ${ORIGIN} ${AS_PATH}`, ''), AS4);
  t.is(m.treatAsWithdraw, undefined);
  t.is(m.mpReach?.nlri[0].key, '2001:db8:1::/64');
  t.deepEqual(m.mpReach?.nextHops, ['2001:db8::1']);
  withdraws(t, body(`${mp} ${AS_PATH}`, ''), /missing well-known attribute ORIGIN/);
});

test('an UPDATE without NLRI does not need the mandatory attributes', (t) => {
  const m = decodeUpdate(body('', '', '18 0a f4 01'), AS4);
  t.is(m.treatAsWithdraw, undefined);
  t.is(m.withdrawn[0].key, '10.244.1.0/24');
});

test('ATOMIC_AGGREGATE and AGGREGATOR with a bad length are discarded (RFC 7606 §7.6, §7.7)', (t) => {
  const a = discards(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 06 01 00`), /ATOMIC_AGGREGATE length 1/);
  t.is(a.attributes.atomicAggregate, undefined);
  const b = discards(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} c0 07 06 fd ea c0 00 02 01`), /AGGREGATOR length 6, expected 8/);
  t.is(b.attributes.aggregator, undefined);
  const c = decodeUpdate(body(`${ORIGIN} 40 02 04 02 01 fd ea ${NEXT_HOP} c0 07 06 fd ea c0 00 02 01`), AS2);
  t.deepEqual(c.attributes.aggregator, { asn: 65002, address: '192.0.2.1' });
});

test('a repeated attribute other than MP_REACH/MP_UNREACH is discarded after the first (RFC 7606 §3 g)', (t) => {
  const m = discards(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40 01 01 02`), /repeated ORIGIN/);
  t.is(m.attributes.origin, 0);
});

test('a malformed AS4_PATH is discarded (RFC 6793 §6)', (t) => {
  const m = discards(t, body(`${ORIGIN} 40 02 04 02 01 fd ea ${NEXT_HOP} c0 11 03 02 01 00`), /AS4_PATH is malformed/, AS2);
  t.is(m.attributes.as4Path, undefined);
  t.deepEqual(m.attributes.asPath, [{ type: 2, asns: [65002] }]);
});

test('an attribute whose length overruns the attribute field is treat-as-withdraw, NLRI still found (RFC 7606 §4)', (t) => {
  const m = withdraws(t, body(`${ORIGIN} ${AS_PATH} 40 03 09 c0 00 02 01`), /NEXT_HOP length 9 overruns/);
  t.is(m.nlri[0].key, '10.244.1.0/24');
  withdraws(t, body(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40`), /too few for an attribute header/);
});

test('an MP_REACH_NLRI cut short by the attribute field resets the session (3,1)', (t) => {
  resets(t, body('80 0e 20 00 02 01', ''), 3, 1);
});

test('MP_REACH_NLRI with flags other than optional non-transitive resets with Attribute Flags Error (3,4)', (t) => {
  resets(t, body('c0 0f 03 00 02 01', ''), 3, 4, hex('c0 0f 03 00 02 01'));
});
