// Negotiation of two OPENs (RFC 4271 §4.2 hold time, §6.2 OPEN checks,
// RFC 6793 4-octet AS, RFC 4760 families, RFC 5492 Unsupported Capability,
// RFC 4724 / RFC 8538 graceful restart) and the OPEN we build.

import test from 'ava';
import { buildOpen, compareBgpIdentifiers, negotiate, type LocalOpenParams } from '../../src/bgp/negotiate.js';
import { AS_TRANS, BgpError, decodeOpen, encodeOpen, type Capability, type OpenMessage } from '../../src/bgp/wire/index.js';
import { peerOpen, type PeerOpenOptions } from './helpers/peer.js';

const LOCAL: LocalOpenParams = {
  localAs: 65010,
  routerId: '10.0.0.9',
  holdTime: 90,
  families: ['ipv4', 'ipv6'],
  gracefulRestart: { enabled: true, restartTime: 600 },
  restarting: false,
};

const open = (o: PeerOpenOptions = {}): OpenMessage => ({ type: 'open', ...peerOpen(o) });

function openError(t: import('ava').ExecutionContext, fn: () => unknown): BgpError {
  const err = t.throws(fn, { instanceOf: BgpError }) as BgpError;
  return err;
}

test('the hold time is the smaller of both and the keepalive a third of it', (t) => {
  const n = negotiate(LOCAL, 65001, open({ holdTime: 30 }));
  t.is(n.holdTime, 30);
  t.is(n.keepaliveTime, 10);
  const m = negotiate({ ...LOCAL, holdTime: 9 }, 65001, open({ holdTime: 240 }));
  t.is(m.holdTime, 9);
  t.is(m.keepaliveTime, 3);
});

test('a hold time of 0 on either side turns the hold timer and keepalives off', (t) => {
  for (const [ours, theirs] of [[0, 90], [90, 0], [0, 0]] as const) {
    const n = negotiate({ ...LOCAL, holdTime: ours }, 65001, open({ holdTime: theirs }));
    t.is(n.holdTime, 0);
    t.is(n.keepaliveTime, 0);
  }
});

test('a configured keepalive is used when below a third of the hold time, else capped at a third', (t) => {
  t.is(negotiate(LOCAL, 65001, open({ holdTime: 90 }), 10).keepaliveTime, 10);
  t.is(negotiate(LOCAL, 65001, open({ holdTime: 9 }), 10).keepaliveTime, 3);
  t.is(negotiate(LOCAL, 65001, open({ holdTime: 3 })).keepaliveTime, 1);
});

test('the 4-octet AS capability decides the peer AS, not My AS', (t) => {
  const n = negotiate(LOCAL, 65001, open({ as: 65001 }));
  t.true(n.as4);
  t.is(n.peerAs, 65001);
  const two = negotiate(LOCAL, 65001, open({ as: 65001, as4: false }));
  t.false(two.as4);
  t.is(two.peerAs, 65001);
});

test('a 4-octet peer AS 4200000001 arrives as AS_TRANS in My AS and matches through the capability', (t) => {
  const o = open({ as: 4_200_000_001 });
  t.is(o.myAs, AS_TRANS);
  const n = negotiate(LOCAL, 4_200_000_001, o);
  t.is(n.peerAs, 4_200_000_001);
  t.true(n.as4);
});

test('a wrong peer AS is Bad Peer AS (2,2) naming the AS the peer claimed', (t) => {
  const two = openError(t, () => negotiate(LOCAL, 65002, open({ as: 65001, as4: false })));
  t.is(two.code, 2);
  t.is(two.subcode, 2);
  t.deepEqual([...two.data], [0xfd, 0xe9], 'the 2-octet My AS field, 65001');
  const four = openError(t, () => negotiate(LOCAL, 65001, open({ as: 4_200_000_001 })));
  t.is(four.subcode, 2);
  t.is(Buffer.from(four.data).readUInt32BE(0), 4_200_000_001, 'the 4-octet AS from the capability, not AS_TRANS');
});

test('a peer expected to have a 4-octet AS but without the capability is Bad Peer AS', (t) => {
  const err = openError(t, () => negotiate(LOCAL, 4_200_000_001, open({ as: 4_200_000_001, as4: false })));
  t.is(err.subcode, 2);
  t.deepEqual([...err.data], [AS_TRANS >> 8, AS_TRANS & 0xff]);
});

test('an iBGP peer with our own BGP Identifier is Bad BGP Identifier (2,3); eBGP is allowed', (t) => {
  const err = openError(t, () => negotiate(LOCAL, 65010, open({ as: 65010, id: LOCAL.routerId })));
  t.is(err.code, 2);
  t.is(err.subcode, 3);
  t.notThrows(() => negotiate(LOCAL, 65010, open({ as: 65010, id: '10.0.0.8' })));
  // RFC 6286 §2.2: the identifiers must differ only within one AS.
  t.notThrows(() => negotiate(LOCAL, 65001, open({ as: 65001, id: LOCAL.routerId })));
});

test('the families are the intersection of both offers', (t) => {
  t.deepEqual(negotiate(LOCAL, 65001, open({ families: ['ipv6'] })).families, ['ipv6']);
  t.deepEqual(negotiate({ ...LOCAL, families: ['ipv4'] }, 65001, open()).families, ['ipv4']);
  t.deepEqual(negotiate(LOCAL, 65001, open()).families, ['ipv4', 'ipv6']);
});

test('a peer without any multiprotocol capability gets IPv4 unicast (RFC 4760)', (t) => {
  t.deepEqual(negotiate(LOCAL, 65001, open({ families: [] })).families, ['ipv4']);
});

test('no common family is Unsupported Capability (2,7)', (t) => {
  const err = openError(t, () => negotiate({ ...LOCAL, families: ['ipv6'] }, 65001, open({ families: [] })));
  t.is(err.code, 2);
  t.is(err.subcode, 7);
  const err2 = openError(t, () => negotiate({ ...LOCAL, families: ['ipv4'] }, 65001, open({ families: ['ipv6'] })));
  t.is(err2.subcode, 7);
});

test('multicast or unknown families of the peer do not count as unicast', (t) => {
  const o = open({ families: [] });
  const withMulticast: OpenMessage = { ...o, capabilities: [{ code: 1, afi: 1, safi: 2 }, ...o.capabilities] };
  const err = openError(t, () => negotiate(LOCAL, 65001, withMulticast));
  t.is(err.subcode, 7);
});

test('graceful restart: the N bit counts only when both sides set it', (t) => {
  t.true(negotiate(LOCAL, 65001, open({ gr: { notification: true } })).gracefulRestart.notification);
  t.false(negotiate(LOCAL, 65001, open({ gr: { notification: false } })).gracefulRestart.notification);
  const off = { ...LOCAL, gracefulRestart: { enabled: false, restartTime: 0 } };
  const n = negotiate(off, 65001, open({ gr: { notification: true } }));
  t.false(n.gracefulRestart.notification);
  t.false(n.gracefulRestart.local);
  t.true(n.gracefulRestart.peer);
});

test('graceful restart: the peer restart time, R bit and forwarding families are taken from its capability', (t) => {
  const base = open({ gr: { restartTime: 321, restarting: true } });
  const caps = base.capabilities.map((c): Capability =>
    c.code === 64 ? { ...c, families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: false }] } : c,
  );
  const n = negotiate(LOCAL, 65001, { ...base, capabilities: caps });
  t.true(n.gracefulRestart.peer);
  t.is(n.gracefulRestart.peerRestartTime, 321);
  t.true(n.gracefulRestart.peerRestarting);
  t.deepEqual(n.gracefulRestart.peerForwarding, ['ipv4']);
  const none = negotiate(LOCAL, 65001, open());
  t.false(none.gracefulRestart.peer);
  t.is(none.gracefulRestart.peerRestartTime, 0);
});

test('route refresh (either code) and extended messages are recognised from the peer', (t) => {
  t.true(negotiate(LOCAL, 65001, open()).routeRefresh);
  t.false(negotiate(LOCAL, 65001, open({ routeRefresh: false })).routeRefresh);
  const o = open({ routeRefresh: false });
  t.true(negotiate(LOCAL, 65001, { ...o, capabilities: [...o.capabilities, { code: 128 }] }).routeRefresh);
  t.true(negotiate(LOCAL, 65001, open({ extendedMessage: true })).extendedMessage);
  t.false(negotiate(LOCAL, 65001, open()).extendedMessage);
});

test('buildOpen puts a 4-octet ASN as AS_TRANS in My AS and the real one in the capability', (t) => {
  const o = buildOpen({ ...LOCAL, localAs: 4_200_000_001 });
  t.is(o.myAs, AS_TRANS);
  t.deepEqual(o.capabilities.find((c) => c.code === 65), { code: 65, asn: 4_200_000_001 });
  const small = buildOpen(LOCAL);
  t.is(small.myAs, 65010);
  t.deepEqual(small.capabilities.find((c) => c.code === 65), { code: 65, asn: 65010 });
  t.is(small.holdTime, 90);
  t.is(small.bgpIdentifier, '10.0.0.9');
  t.is(small.version, 4);
});

test('buildOpen sets the R bit only when restarting, the F bit per family and the restart time', (t) => {
  const gr = (o: ReturnType<typeof buildOpen>) => o.capabilities.find((c) => c.code === 64) as Extract<Capability, { code: 64 }> | undefined;
  const fresh = gr(buildOpen(LOCAL))!;
  t.false(fresh.restartState);
  t.true(fresh.notification);
  t.is(fresh.restartTime, 600);
  t.deepEqual(fresh.families, [
    { afi: 1, safi: 1, forwarding: true },
    { afi: 2, safi: 1, forwarding: true },
  ]);
  const restarting = gr(buildOpen({ ...LOCAL, restarting: true, families: ['ipv6'], gracefulRestart: { enabled: true, restartTime: 120 } }))!;
  t.true(restarting.restartState);
  t.is(restarting.restartTime, 120);
  t.deepEqual(restarting.families, [{ afi: 2, safi: 1, forwarding: true }]);
  t.is(gr(buildOpen({ ...LOCAL, gracefulRestart: { enabled: false, restartTime: 600 } })), undefined);
});

test('buildOpen offers one multiprotocol capability per family, and survives an encode/decode round trip', (t) => {
  const o = buildOpen({ ...LOCAL, restarting: true });
  t.deepEqual(
    o.capabilities.filter((c) => c.code === 1),
    [{ code: 1, afi: 1, safi: 1 }, { code: 1, afi: 2, safi: 1 }],
  );
  const back = decodeOpen(encodeOpen(o).subarray(19));
  t.deepEqual(back.capabilities, o.capabilities);
  // Our own OPEN negotiates with a copy of itself as an iBGP peer with another identifier.
  const n = negotiate(LOCAL, 65010, { ...back, bgpIdentifier: '10.0.0.10' });
  t.true(n.gracefulRestart.notification);
  t.true(n.extendedMessage);
});

test('BGP Identifiers compare as unsigned 32-bit numbers', (t) => {
  t.true(compareBgpIdentifiers('10.0.0.2', '10.0.0.1') > 0);
  t.true(compareBgpIdentifiers('9.255.255.255', '10.0.0.0') < 0);
  t.true(compareBgpIdentifiers('200.0.0.1', '100.0.0.1') > 0, 'no sign trouble above 128.0.0.0');
  t.true(compareBgpIdentifiers('255.255.255.255', '0.0.0.1') > 0);
  t.is(compareBgpIdentifiers('1.2.3.4', '1.2.3.4'), 0);
});
