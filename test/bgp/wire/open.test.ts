import test, { type ExecutionContext } from 'ava';
import { BgpError, decodeOpen, encodeOpen, type OpenMessage } from '../../../src/bgp/wire/index.js';
import { hex } from './helpers.js';

/** An OPEN body with the given fields; optional parameters as hex. */
function openBody(params: string, { version = 4, myAs = 65001, hold = 90, id = 'c0 00 02 01' } = {}): Buffer {
  const p = hex(params);
  return Buffer.concat([
    Buffer.from([version, myAs >> 8, myAs & 0xff, hold >> 8, hold & 0xff]),
    hex(id),
    Buffer.from([p.length]),
    p,
  ]);
}

function rejects(t: ExecutionContext, b: Uint8Array, code: number, subcode: number, data?: number[]): void {
  const err = t.throws(() => decodeOpen(b), { instanceOf: BgpError });
  t.is(err?.code, code);
  t.is(err?.subcode, subcode);
  if (data) t.deepEqual([...err!.data], data);
}

test('an unsupported version is (2,1) with version 4 as the 2-octet data', (t) => {
  rejects(t, openBody('', { version: 3 }), 2, 1, [0, 4]);
});

test('hold times of 1 and 2 seconds are Unacceptable Hold Time (2,6); 0 and 3 are accepted', (t) => {
  rejects(t, openBody('', { hold: 1 }), 2, 6);
  rejects(t, openBody('', { hold: 2 }), 2, 6);
  t.is(decodeOpen(openBody('', { hold: 0 })).holdTime, 0);
  t.is(decodeOpen(openBody('', { hold: 3 })).holdTime, 3);
});

test('BGP Identifier 0.0.0.0 is Bad BGP Identifier (2,3)', (t) => {
  rejects(t, openBody('', { id: '00 00 00 00' }), 2, 3);
});

test('an optional parameter other than Capabilities is Unsupported Optional Parameter (2,4)', (t) => {
  rejects(t, openBody('01 02 ab cd'), 2, 4);
});

test('malformed capability TLVs are OPEN Message Error (2,0)', (t) => {
  rejects(t, openBody('02 03 01 04 00'), 2, 0); // capability overruns the parameter
  rejects(t, openBody('02 01 01'), 2, 0); // truncated header
  rejects(t, openBody('02 05 01 03 00 01 00'), 2, 0); // multiprotocol of 3 octets
  rejects(t, openBody('02 04 41 02 fd e9'), 2, 0); // 4-octet AS of 2 octets
  rejects(t, openBody('02 05 40 03 00 78 00'), 2, 0); // graceful restart of 3 octets
  rejects(t, openBody('02 04 02 02 00 00'), 2, 0); // route refresh with a value
});

test('an optional parameters length that disagrees with the message is (2,0)', (t) => {
  const b = openBody('02 02 02 00');
  rejects(t, b.subarray(0, b.length - 1), 2, 0);
  rejects(t, Buffer.concat([b, Buffer.from([0])]), 2, 0);
});

test('unknown capabilities are kept with their value', (t) => {
  const m = decodeOpen(openBody('02 06 49 04 01 61 01 62'));
  t.deepEqual(m.capabilities, [{ code: 'unknown', type: 73, value: new Uint8Array([1, 0x61, 1, 0x62]) }]);
});

test('graceful restart flags, restart time and per-family forwarding bits are read (RFC 4724 §3, RFC 8538)', (t) => {
  const m = decodeOpen(openBody('02 0c 40 0a c2 58 00 01 01 80 00 02 01 00'));
  t.deepEqual(m.capabilities, [
    {
      code: 64,
      restartState: true,
      notification: true,
      restartTime: 600,
      families: [
        { afi: 1, safi: 1, forwarding: true },
        { afi: 2, safi: 1, forwarding: false },
      ],
    },
  ]);
});

test('route refresh, its pre-standard code, extended message and enhanced route refresh are recognized', (t) => {
  const m = decodeOpen(openBody('02 08 02 00 80 00 06 00 46 00'));
  t.deepEqual(m.capabilities, [{ code: 2 }, { code: 128 }, { code: 6 }, { code: 70 }]);
});

test('capabilities spread over several optional parameters are all read', (t) => {
  const m = decodeOpen(openBody('02 06 01 04 00 01 00 01 02 02 02 00'));
  t.deepEqual(m.capabilities, [{ code: 1, afi: 1, safi: 1 }, { code: 2 }]);
});

test('RFC 9072 extended optional parameters length is decoded', (t) => {
  // Non-Ext OP Len 255, Non-Ext OP Type 255, Extended Opt Parm Length 8, then 2-octet parameter lengths.
  const b = Buffer.concat([hex('04 fd e9 00 5a c0 00 02 01'), hex('ff ff 00 08'), hex('02 00 06 41 04 fa 56 ea 01')]);
  // 1 + 2 + 6 = 9 octets of parameter: fix the length field accordingly.
  b.writeUInt16BE(9, 11);
  t.deepEqual(decodeOpen(b).capabilities, [{ code: 65, asn: 4200000001 }]);
});

test('encodeOpen switches to the RFC 9072 format when capabilities exceed 255 octets, and decodes back', (t) => {
  const caps = Array.from({ length: 12 }, (_, i) => ({ code: 'unknown' as const, type: 200 + i, value: new Uint8Array(30).fill(i) }));
  const m: Omit<OpenMessage, 'type'> = { version: 4, myAs: 65001, holdTime: 90, bgpIdentifier: '192.0.2.1', capabilities: caps };
  const bytes = encodeOpen(m);
  t.is(bytes[28], 255);
  t.is(bytes[29], 255);
  t.deepEqual(decodeOpen(bytes.subarray(19)), { type: 'open', ...m });
});

test('encodeOpen writes AS_TRANS for a 4-octet My AS', (t) => {
  const b = encodeOpen({ version: 4, myAs: 4200000001, holdTime: 90, bgpIdentifier: '192.0.2.1', capabilities: [] });
  t.is(b.readUInt16BE(20), 23456);
});
