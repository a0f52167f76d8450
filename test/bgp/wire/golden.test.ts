// Golden byte vectors, written out field by field from RFC 4271 §4, RFC 5492,
// RFC 4760, RFC 4724, RFC 6793, RFC 8654, RFC 8203 and RFC 2918, compared
// with what the encoders produce and decoded back.

import test from 'ava';
import {
  decodeMessage,
  encodeEndOfRib,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeShutdownCommunication,
  encodeUpdate,
  endOfRibFamily,
  parsePrefix,
  type OpenMessage,
  type UpdateMessage,
} from '../../../src/bgp/wire/index.js';
import { AS2, AS4, MARKER, hex } from './helpers.js';

const OPEN_ALL = hex(`
  ${MARKER}               # marker
  00 41                   # length 65
  01                      # type OPEN
  04                      # version 4
  5b a0                   # My AS: AS_TRANS 23456 (RFC 6793 §4.1)
  00 5a                   # hold time 90
  0a 00 00 01             # BGP Identifier 10.0.0.1
  24                      # optional parameters length 36
  02 22                   # parameter type 2 (Capabilities), length 34
  01 04 00 01 00 01       # multiprotocol: AFI 1, reserved, SAFI 1
  01 04 00 02 00 01       # multiprotocol: AFI 2, reserved, SAFI 1
  02 00                   # route refresh
  41 04 fa 56 ea 01       # 4-octet AS 4200000001
  40 0a                   # graceful restart, length 10
  82 58                   # R=1, N=0, restart time 600 (0x258)
  00 01 01 80             # AFI 1 SAFI 1, forwarding preserved
  00 02 01 80             # AFI 2 SAFI 1, forwarding preserved
  06 00                   # extended message (RFC 8654)
`);

const OPEN_MSG: Omit<OpenMessage, 'type'> = {
  version: 4,
  myAs: 4200000001,
  holdTime: 90,
  bgpIdentifier: '10.0.0.1',
  capabilities: [
    { code: 1, afi: 1, safi: 1 },
    { code: 1, afi: 2, safi: 1 },
    { code: 2 },
    { code: 65, asn: 4200000001 },
    {
      code: 64,
      restartState: true,
      notification: false,
      restartTime: 600,
      families: [
        { afi: 1, safi: 1, forwarding: true },
        { afi: 2, safi: 1, forwarding: true },
      ],
    },
    { code: 6 },
  ],
};

test('an OPEN with every capability we send matches the golden bytes', (t) => {
  t.deepEqual(encodeOpen(OPEN_MSG), OPEN_ALL);
  const decoded = decodeMessage(1, OPEN_ALL.subarray(19), AS4);
  t.deepEqual(decoded, { type: 'open', ...OPEN_MSG, myAs: 23456 });
});

test('a KEEPALIVE is the header alone', (t) => {
  const golden = hex(`${MARKER}  00 13  # length 19
    04 # type KEEPALIVE`);
  t.deepEqual(encodeKeepalive(), golden);
  t.deepEqual(decodeMessage(4, golden.subarray(19), AS4), { type: 'keepalive' });
});

test('a Cease / Administrative Shutdown NOTIFICATION carries the RFC 8203 communication', (t) => {
  const golden = hex(`
    ${MARKER}                        # marker
    00 21                            # length 33
    03                               # type NOTIFICATION
    06                               # code 6 Cease
    02                               # subcode 2 Administrative Shutdown
    0b                               # shutdown communication length 11
    6d 61 69 6e 74 65 6e 61 6e 63 65 # "maintenance" in UTF-8
  `);
  t.deepEqual(encodeNotification(6, 2, encodeShutdownCommunication('maintenance')), golden);
  const m = decodeMessage(3, golden.subarray(19), AS4);
  t.deepEqual(m, { type: 'notification', code: 6, subcode: 2, data: new Uint8Array(golden.subarray(21)) });
});

test('a ROUTE-REFRESH for IPv6 unicast matches RFC 2918 §3', (t) => {
  const golden = hex(`
    ${MARKER}  # marker
    00 17      # length 23
    05         # type ROUTE-REFRESH
    00 02      # AFI 2
    00         # reserved / subtype 0 (RFC 7313)
    01         # SAFI 1
  `);
  t.deepEqual(encodeRouteRefresh(2, 1), golden);
  t.deepEqual(decodeMessage(5, golden.subarray(19), AS4), { type: 'route-refresh', afi: 2, subtype: 0, safi: 1 });
});

const UPDATE_V4 = hex(`
  ${MARKER}               # marker
  00 4b                   # length 75
  02                      # type UPDATE
  00 00                   # withdrawn routes length 0
  00 29                   # total path attribute length 41
  40 01 01 00             # ORIGIN (well-known transitive), length 1, IGP
  40 02 06 02 01 00 00 fd ea  # AS_PATH, length 6: AS_SEQUENCE of 1, AS 65002 (4 octets)
  40 03 04 c0 00 02 01    # NEXT_HOP 192.0.2.1
  80 04 04 00 00 00 32    # MULTI_EXIT_DISC (optional non-transitive) 50
  40 05 04 00 00 00 64    # LOCAL_PREF 100
  c0 08 04 fd ea 00 64    # COMMUNITIES (optional transitive) 65002:100
  18 0a f4 01             # NLRI 10.244.1.0/24
  18 0a f4 02             # NLRI 10.244.2.0/24
  10 0a 01                # NLRI 10.1.0.0/16
`);

test('an IPv4 UPDATE with ORIGIN, AS_PATH, NEXT_HOP, MED, LOCAL_PREF, COMMUNITIES and 3 NLRI matches the golden bytes', (t) => {
  const m: Omit<UpdateMessage, 'type'> = {
    withdrawn: [],
    attributes: { origin: 0, asPath: [{ type: 2, asns: [65002] }], nextHop: '192.0.2.1', med: 50, localPref: 100, communities: [65002 * 65536 + 100] },
    nlri: ['10.244.1.0/24', '10.244.2.0/24', '10.1.0.0/16'].map(parsePrefix),
  };
  t.deepEqual(encodeUpdate(m, AS4), UPDATE_V4);
  const d = decodeMessage(2, UPDATE_V4.subarray(19), AS4) as UpdateMessage;
  t.deepEqual(d, { type: 'update', ...m });
});

const UPDATE_V6 = hex(`
  ${MARKER}               # marker
  00 56                   # length 86
  02                      # type UPDATE
  00 00                   # withdrawn routes length 0
  00 3f                   # total path attribute length 63
  80 0e 2e                # MP_REACH_NLRI (optional non-transitive), length 46, first (RFC 7606 §5.1)
  00 02 01                # AFI 2, SAFI 1
  20                      # next hop length 32: global + link-local (RFC 2545 §3)
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  # 2001:db8::1
  fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 01  # fe80::1
  00                      # reserved
  40 20 01 0d b8 00 01 00 00  # NLRI 2001:db8:1::/64
  40 01 01 00             # ORIGIN IGP
  40 02 00                # AS_PATH empty (iBGP)
  40 05 04 00 00 00 64    # LOCAL_PREF 100
`);

test('an IPv6 UPDATE puts MP_REACH_NLRI with global and link-local next hops first', (t) => {
  const m: Omit<UpdateMessage, 'type'> = {
    withdrawn: [],
    attributes: { origin: 0, asPath: [], localPref: 100 },
    nlri: [],
    mpReach: { afi: 2, safi: 1, nextHops: ['2001:db8::1', 'fe80::1'], nlri: [parsePrefix('2001:db8:1::/64')] },
  };
  t.deepEqual(encodeUpdate(m, AS4), UPDATE_V6);
  t.deepEqual(decodeMessage(2, UPDATE_V6.subarray(19), AS4), { type: 'update', ...m });
});

test('an MP_UNREACH_NLRI UPDATE withdraws IPv6 prefixes', (t) => {
  const golden = hex(`
    ${MARKER}   # marker
    00 2d       # length 45
    02          # type UPDATE
    00 00       # withdrawn routes length 0
    00 16       # total path attribute length 22
    80 0f 13    # MP_UNREACH_NLRI, length 19
    00 02 01    # AFI 2, SAFI 1
    40 20 01 0d b8 00 01 00 00  # 2001:db8:1::/64
    30 20 01 0d b8 00 02        # 2001:db8:2::/48
  `);
  const m: Omit<UpdateMessage, 'type'> = {
    withdrawn: [],
    attributes: {},
    nlri: [],
    mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:1::/64', '2001:db8:2::/48'].map(parsePrefix) },
  };
  t.deepEqual(encodeUpdate(m, AS4), golden);
  const d = decodeMessage(2, golden.subarray(19), AS4) as UpdateMessage;
  t.deepEqual(d, { type: 'update', ...m });
  t.is(endOfRibFamily(d), null);
});

test('End-of-RIB is an empty UPDATE for IPv4 and an empty MP_UNREACH_NLRI for IPv6 (RFC 4724 §2)', (t) => {
  const v4 = hex(`${MARKER}  00 17  # length 23
    02     # UPDATE
    00 00  # withdrawn routes length 0
    00 00  # total path attribute length 0`);
  const v6 = hex(`${MARKER}  00 1d  # length 29
    02        # UPDATE
    00 00     # withdrawn routes length 0
    00 06     # total path attribute length 6
    80 0f 03  # MP_UNREACH_NLRI, length 3
    00 02 01  # AFI 2, SAFI 1, no withdrawn routes`);
  t.deepEqual(encodeEndOfRib(1, 1), v4);
  t.deepEqual(encodeEndOfRib(2, 1), v6);
  t.deepEqual(endOfRibFamily(decodeMessage(2, v4.subarray(19), AS4) as UpdateMessage), { afi: 1, safi: 1 });
  t.deepEqual(endOfRibFamily(decodeMessage(2, v6.subarray(19), AS4) as UpdateMessage), { afi: 2, safi: 1 });
  t.is(endOfRibFamily(decodeMessage(2, UPDATE_V4.subarray(19), AS4) as UpdateMessage), null);
});

test('an AS_PATH with an AS_SET encodes both segments on a 2-octet session', (t) => {
  const golden = hex(`
    ${MARKER}    # marker
    00 35        # length 53
    02           # UPDATE
    00 00        # withdrawn routes length 0
    00 1a        # total path attribute length 26
    40 01 01 02  # ORIGIN INCOMPLETE
    40 02 0c     # AS_PATH, length 12
    02 02 fd ea fd e9  # AS_SEQUENCE 65002 65001
    01 02 00 64 00 c8  # AS_SET {100 200}
    40 03 04 c0 00 02 01  # NEXT_HOP 192.0.2.1
    18 c6 33 64  # NLRI 198.51.100.0/24
  `);
  const m: Omit<UpdateMessage, 'type'> = {
    withdrawn: [],
    attributes: {
      origin: 2,
      asPath: [
        { type: 2, asns: [65002, 65001] },
        { type: 1, asns: [100, 200] },
      ],
      nextHop: '192.0.2.1',
    },
    nlri: [parsePrefix('198.51.100.0/24')],
  };
  t.deepEqual(encodeUpdate(m, AS2), golden);
  t.deepEqual(decodeMessage(2, golden.subarray(19), AS2), { type: 'update', ...m });
});

test('a 2-octet session gets AS_TRANS in AS_PATH and the real path in AS4_PATH (RFC 6793 §4.2.2)', (t) => {
  const golden = hex(`
    ${MARKER}    # marker
    00 3c        # length 60
    02           # UPDATE
    00 00        # withdrawn routes length 0
    00 21        # total path attribute length 33
    40 01 01 00  # ORIGIN IGP
    40 02 06 02 02 5b a0 fd e9  # AS_PATH: AS_SEQUENCE AS_TRANS 65001
    40 03 04 c0 00 02 01        # NEXT_HOP 192.0.2.1
    c0 11 0a 02 02 fa 56 ea 01 00 00 fd e9  # AS4_PATH: AS_SEQUENCE 4200000001 65001
    18 0a f4 01  # NLRI 10.244.1.0/24
  `);
  const asPath = [{ type: 2 as const, asns: [4200000001, 65001] }];
  const m: Omit<UpdateMessage, 'type'> = {
    withdrawn: [],
    attributes: { origin: 0, asPath, nextHop: '192.0.2.1' },
    nlri: [parsePrefix('10.244.1.0/24')],
  };
  t.deepEqual(encodeUpdate(m, AS2), golden);
  const d = decodeMessage(2, golden.subarray(19), AS2) as UpdateMessage;
  t.deepEqual(d.attributes.asPath, [{ type: 2, asns: [23456, 65001] }]);
  t.deepEqual(d.attributes.as4Path, asPath);
  // A 4-octet session never carries AS4_PATH.
  const as4 = decodeMessage(2, encodeUpdate(m, AS4).subarray(19), AS4) as UpdateMessage;
  t.deepEqual(as4.attributes.asPath, asPath);
  t.is(as4.attributes.as4Path, undefined);
});

test('an OPEN from RFC 4271 §4.2 field layout with no optional parameters decodes', (t) => {
  const golden = hex(`${MARKER} 00 1d 01  # length 29, OPEN
    04 fd e9 00 b4 c0 00 02 01  # version 4, AS 65001, hold 180, id 192.0.2.1
    00                          # no optional parameters`);
  t.deepEqual(decodeMessage(1, golden.subarray(19), AS4), {
    type: 'open', version: 4, myAs: 65001, holdTime: 180, bgpIdentifier: '192.0.2.1', capabilities: [],
  });
  t.deepEqual(encodeOpen({ version: 4, myAs: 65001, holdTime: 180, bgpIdentifier: '192.0.2.1', capabilities: [] }), golden);
});
