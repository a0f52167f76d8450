import test from 'ava';
import {
  BgpError,
  decodeNotification,
  decodeShutdownCommunication,
  describeNotification,
  encodeNotification,
  encodeShutdownCommunication,
} from '../../../src/bgp/wire/index.js';

test('every RFC 4271 code and subcode has words', (t) => {
  t.is(describeNotification(1, 1), 'Message Header Error / Connection Not Synchronized');
  t.is(describeNotification(1, 2, Uint8Array.of(0x10, 0x01)), 'Message Header Error / Bad Message Length (length 4097)');
  t.is(describeNotification(1, 3, Uint8Array.of(9)), 'Message Header Error / Bad Message Type (type 9)');
  t.is(describeNotification(2, 2), 'OPEN Message Error / Bad Peer AS');
  t.is(describeNotification(2, 6), 'OPEN Message Error / Unacceptable Hold Time');
  t.is(describeNotification(2, 7), 'OPEN Message Error / Unsupported Capability');
  t.is(describeNotification(3, 11), 'UPDATE Message Error / Malformed AS_PATH');
  t.is(describeNotification(3, 0), 'UPDATE Message Error / Unspecific');
  t.is(describeNotification(4, 0), 'Hold Timer Expired');
  t.is(describeNotification(5, 2), 'Finite State Machine Error / Receive Unexpected Message in OpenConfirm State');
  t.is(describeNotification(7, 1), 'ROUTE-REFRESH Message Error / Invalid Message Length');
});

test('Cease subcodes 1 to 9 of RFC 4486 and RFC 8538 have words', (t) => {
  const words = [
    'Maximum Number of Prefixes Reached',
    'Administrative Shutdown',
    'Peer De-configured',
    'Administrative Reset',
    'Connection Rejected',
    'Other Configuration Change',
    'Connection Collision Resolution',
    'Out of Resources',
    'Hard Reset (RFC 8538)',
  ];
  words.forEach((w, i) => t.is(describeNotification(6, i + 1), `Cease / ${w}`));
  t.is(
    describeNotification(6, 1, Uint8Array.of(0, 1, 1, 0, 0, 0x03, 0xe8)),
    'Cease / Maximum Number of Prefixes Reached (AFI 1 SAFI 1, limit 1000)',
  );
  t.is(describeNotification(6, 9, Uint8Array.of(4, 0)), 'Cease / Hard Reset (RFC 8538): Hold Timer Expired');
});

test('unknown codes and subcodes appear as numbers', (t) => {
  t.is(describeNotification(9, 3), 'Unknown error code 9 / subcode 3');
  t.is(describeNotification(6, 42), 'Cease / Unknown subcode 42');
});

test('a shutdown communication round-trips and shows in the description', (t) => {
  const data = encodeShutdownCommunication('maintenance window');
  t.is(data[0], 18);
  t.is(decodeShutdownCommunication(data), 'maintenance window');
  t.is(describeNotification(6, 2, data), 'Cease / Administrative Shutdown: "maintenance window"');
  t.is(describeNotification(6, 4, encodeShutdownCommunication('überholt')), 'Cease / Administrative Reset: "überholt"');
});

test('a long shutdown communication is cut to 255 octets at a character boundary', (t) => {
  const data = encodeShutdownCommunication('é'.repeat(200));
  t.is(data[0], 254);
  t.is(decodeShutdownCommunication(data), 'é'.repeat(127));
});

test('a garbage shutdown communication is described without throwing', (t) => {
  t.regex(describeNotification(6, 2, Uint8Array.of(10, 0x61)), /malformed shutdown communication 0a61/);
  t.regex(describeNotification(6, 2, Uint8Array.of(2, 0xff, 0xfe)), /malformed/);
  t.is(decodeShutdownCommunication(new Uint8Array(0)), null);
  t.is(describeNotification(6, 2, Uint8Array.of(3, 0x61, 0x0a, 0x1b)), 'Cease / Administrative Shutdown: "a\\n\\u001b"');
});

test('encodeNotification and decodeNotification round-trip; a short body is Bad Message Length', (t) => {
  const b = encodeNotification(3, 2, Uint8Array.of(0x40, 0x63, 0));
  t.is(b.length, 24);
  t.deepEqual(decodeNotification(b.subarray(19)), { type: 'notification', code: 3, subcode: 2, data: Uint8Array.of(0x40, 0x63, 0) });
  const err = t.throws(() => decodeNotification(Uint8Array.of(6)), { instanceOf: BgpError });
  t.is(err?.code, 1);
  t.is(err?.subcode, 2);
});
