// Session against a scripted peer over in-memory streams, on a FakeClock:
// establishment, the initial table and End-of-RIB (RFC 4724 §2), diffs,
// keepalives and hold timer (RFC 4271 §4.4, §6.5), OPEN/UPDATE errors
// (§6.2, §6.3, RFC 7606), ROUTE-REFRESH (RFC 2918), max-prefix (RFC 4486),
// reconnect backoff, graceful-restart stop modes (RFC 4724, RFC 8538),
// collision detection (§6.8) and RFC 6608 FSM errors.

import test from 'ava';
import type { RouteSpec } from '../../src/bgp/types.js';
import { encodeShutdownCommunication, endOfRibFamily, type BgpMessage, type UpdateMessage } from '../../src/bgp/wire/index.js';
import { harness, type Harness } from './helpers/harness.js';
import { peerOpen, ScriptedPeer } from './helpers/peer.js';
import { duplexPair, settle, waitFor } from './helpers/streams.js';

const ROUTES: RouteSpec[] = [
  { prefix: '10.244.1.0/24', nextHop: '172.16.0.11' },
  { prefix: '10.244.2.0/24', nextHop: '172.16.0.12' },
  { prefix: '10.244.3.0/24', nextHop: '172.16.0.11' },
  { prefix: 'fd00:10:244:1::/64', nextHop: 'fd00::11' },
  { prefix: 'fd00:10:244:2::/64', nextHop: 'fd00::12' },
];

const isUpdate = (m: BgpMessage): m is UpdateMessage => m.type === 'update';
const eorOf = (m: BgpMessage): string | null => {
  if (!isUpdate(m)) return null;
  const f = endOfRibFamily(m);
  return f ? `${f.afi}/${f.safi}` : null;
};

/** Announced "prefix>nexthop" and withdrawn prefixes of a list of UPDATEs. */
function routesIn(ms: readonly BgpMessage[]): { announce: string[]; withdraw: string[] } {
  const announce: string[] = [];
  const withdraw: string[] = [];
  for (const m of ms) {
    if (!isUpdate(m)) continue;
    for (const p of m.nlri) announce.push(`${p.key}>${m.attributes.nextHop}`);
    for (const p of m.mpReach?.nlri ?? []) announce.push(`${p.key}>${m.mpReach!.nextHops[0]}`);
    for (const p of [...m.withdrawn, ...(m.mpUnreach?.withdrawn ?? [])]) withdraw.push(p.key);
  }
  return { announce: announce.sort(), withdraw: withdraw.sort() };
}

const asText = (rs: readonly RouteSpec[]): string[] => rs.map((r) => `${r.prefix}>${r.nextHop}`).sort();

/** Reads UPDATEs up to End-of-RIB for both families; returns what came before. */
async function initialTable(peer: ScriptedPeer): Promise<BgpMessage[]> {
  const { skipped } = await peer.until((m) => eorOf(m) === '2/1', 'End-of-RIB for IPv6');
  const eors = skipped.filter((m) => eorOf(m) !== null).map(eorOf);
  if (eors.join() !== '1/1') throw new Error(`End-of-RIB markers before IPv6: ${eors.join()}`);
  return skipped.filter((m) => eorOf(m) === null);
}

/** Lets streams settle and asserts the peer got nothing more. */
async function quiet(t: import('ava').ExecutionContext, peer: ScriptedPeer): Promise<void> {
  await settle(10);
  t.deepEqual(peer.unread.map((r) => r.message.type), []);
}

async function established(t: import('ava').ExecutionContext, h: Harness, ...args: Parameters<ScriptedPeer['establish']>): Promise<ScriptedPeer> {
  const peer = await h.establish(...args);
  t.is(h.session.state, 'Established');
  return peer;
}

test('the session reaches Established and sends the initial table, then End-of-RIB per family', async (t) => {
  const h = harness(t, { routes: ROUTES });
  const peer = await established(t, h);
  t.deepEqual(h.events.map((e) => e.to), ['Connect', 'OpenSent', 'OpenConfirm', 'Established']);
  t.is(h.dials[0]!.host, '192.0.2.1');
  t.is(h.dials[0]!.port, 179);
  t.is(h.dials[0]!.ttl, 1, 'eBGP: directly connected, TTL 1');
  const updates = await initialTable(peer);
  t.deepEqual(routesIn(updates), { announce: asText(ROUTES), withdraw: [] });
  for (const u of updates.filter(isUpdate)) {
    t.is(u.attributes.origin, 0, 'ORIGIN IGP');
    t.deepEqual(u.attributes.asPath, [{ type: 2, asns: [65010] }], 'AS_PATH [localAs] on eBGP');
    t.is(u.attributes.localPref, undefined, 'no LOCAL_PREF on eBGP');
  }
  await quiet(t, peer);
  const status = h.session.status();
  t.is(status.advertisedPrefixes, 5);
  t.is(status.establishedCount, 1);
  t.is(status.peerRouterId, '10.0.0.1');
  t.is(status.negotiated?.holdTime, 90);
});

test('an iBGP session sends an empty AS_PATH with LOCAL_PREF 100', async (t) => {
  const h = harness(t, { routes: ROUTES.slice(0, 1), peerAs: 65010, families: ['ipv4'] });
  const peer = await established(t, h, peerOpen({ as: 65010, families: ['ipv4'] }));
  t.is(h.dials[0]!.ttl, 64);
  const { skipped } = await peer.until((m) => eorOf(m) === '1/1', 'End-of-RIB');
  const [u] = skipped.filter(isUpdate);
  t.deepEqual(u?.attributes.asPath, []);
  t.is(u?.attributes.localPref, 100);
});

test('a later setRoutes sends only the difference', async (t) => {
  const h = harness(t, { routes: ROUTES });
  const peer = await established(t, h);
  await initialTable(peer);
  const next: RouteSpec[] = [
    ...ROUTES.filter((r) => r.prefix !== '10.244.2.0/24' && r.prefix !== 'fd00:10:244:2::/64'),
    { prefix: '10.244.1.0/24', nextHop: '172.16.0.99' }, // next hop change: the later entry wins
    { prefix: '10.244.9.0/24', nextHop: '172.16.0.19' },
    { prefix: 'fd00:10:244:9::/64', nextHop: 'fd00::19' },
  ];
  h.session.setRoutes({ ...h.session.spec, routes: next });
  await waitFor(() => routesIn(peer.unread.map((r) => r.message)).announce.length >= 3 && routesIn(peer.unread.map((r) => r.message)).withdraw.length >= 2, 'the diff');
  await settle(10);
  const got = routesIn(peer.unread.map((r) => r.message));
  t.deepEqual(got, {
    announce: ['10.244.1.0/24>172.16.0.99', '10.244.9.0/24>172.16.0.19', 'fd00:10:244:9::/64>fd00::19'],
    withdraw: ['10.244.2.0/24', 'fd00:10:244:2::/64'],
  });
  t.true(peer.unread.every((r) => r.message.type === 'update' && eorOf(r.message) === null), 'no second End-of-RIB');
  t.is(h.session.status().advertisedPrefixes, 5);
});

test('with routesComplete false the known routes go out but End-of-RIB waits for the whole table (RFC 4724 §4.1)', async (t) => {
  const early = ROUTES.slice(0, 2);
  const h = harness(t, { routes: early, routesComplete: false });
  const peer = await established(t, h);
  await waitFor(() => routesIn(peer.unread.map((r) => r.message)).announce.length >= 2, 'the early routes');
  await settle(10);
  t.deepEqual(routesIn(peer.unread.map((r) => r.message)), { announce: asText(early), withdraw: [] });
  t.true(peer.unread.every((r) => eorOf(r.message) === null), 'no End-of-RIB while the table is incomplete');
  t.is(h.session.status().state, 'Established');
  h.session.setRoutes({ ...h.session.spec, routes: ROUTES, routesComplete: true });
  const rest = await initialTable(peer);
  t.deepEqual(routesIn(rest), { announce: asText(ROUTES), withdraw: [] }, 'the early routes and the rest, each once');
  t.is(h.events.filter((e) => e.to === 'Established').length, 1, 'completing the table does not restart the session');
});

test('KEEPALIVE goes out every keepalive interval, a third of the hold time', async (t) => {
  const h = harness(t, { holdTime: 30 });
  const peer = await established(t, h, peerOpen({ holdTime: 60 }));
  await initialTable(peer);
  for (let i = 0; i < 3; i++) {
    h.clock.advance(9_999);
    await quiet(t, peer);
    h.clock.advance(1);
    await peer.next('keepalive');
    peer.sendKeepalive();
    await settle(5);
  }
  t.is(h.session.state, 'Established');
});

test('a configured keepalive time shorter than a third of the hold time is used', async (t) => {
  const h = harness(t, { holdTime: 90, keepaliveTime: 5 });
  const peer = await established(t, h);
  await initialTable(peer);
  h.clock.advance(4_999);
  await quiet(t, peer);
  h.clock.advance(1);
  await peer.next('keepalive');
});

test('hold timer expiry sends Hold Timer Expired, reports HoldTimerExpired and reconnects after the backoff', async (t) => {
  const h = harness(t, { holdTime: 9 });
  const peer = await established(t, h);
  await initialTable(peer);
  h.clock.advance(8_999);
  await settle(5);
  t.is(h.session.state, 'Established');
  h.clock.advance(1);
  const { match } = await peer.until((m) => m.type === 'notification', 'NOTIFICATION');
  t.like(match, { code: 4, subcode: 0 });
  await peer.closed();
  t.is(h.session.state, 'Idle');
  const err = h.errors.at(-1)!;
  t.is(err.reason, 'HoldTimerExpired');
  t.regex(err.message, /hold time of 9 s/);
  // First retry: backoff attempt 0 with random 0.5 is 3750 ms (within 5 s).
  h.clock.advance(3_749);
  await settle(5);
  t.is(h.dials.length, 1);
  h.clock.advance(1);
  await h.waitDials(2);
  await h.peer.next('open');
});

test('KEEPALIVE and UPDATE from the peer keep the hold timer from expiring', async (t) => {
  const h = harness(t, { holdTime: 9 });
  const peer = await established(t, h);
  await initialTable(peer);
  for (let i = 0; i < 5; i++) {
    h.clock.advance(8_000);
    if (i % 2 === 0) peer.sendKeepalive();
    else peer.sendUpdate({ withdrawn: [], attributes: {}, nlri: [] });
    await settle(5);
  }
  t.is(h.session.state, 'Established');
  t.false(peer.received.some((r) => r.message.type === 'notification'));
});

test('a NOTIFICATION from the peer is reported as NotificationReceived in words, without an answer', async (t) => {
  const h = harness(t);
  const peer = await established(t, h);
  await initialTable(peer);
  peer.sendNotification(6, 2, encodeShutdownCommunication('maintenance'));
  await h.waitState('Idle');
  const err = h.errors.at(-1)!;
  t.is(err.reason, 'NotificationReceived');
  t.deepEqual({ code: err.notification?.code, subcode: err.notification?.subcode }, { code: 6, subcode: 2 });
  t.is(err.message, 'received NOTIFICATION Cease / Administrative Shutdown: "maintenance"');
  await peer.closed();
  t.false(peer.received.some((r) => r.message.type === 'notification'), 'a NOTIFICATION is not answered');
});

for (const [title, open, code, subcode, data] of [
  ['version 3', peerOpen({ version: 3 }), 2, 1, [0, 4]],
  ['hold time 1', peerOpen({ holdTime: 1 }), 2, 6, []],
  ['the wrong AS', peerOpen({ as: 65002, as4: false }), 2, 2, [0xfd, 0xea]],
] as const) {
  test(`an OPEN with ${title} gets NOTIFICATION ${code}/${subcode} and reason NotificationSent`, async (t) => {
    const h = harness(t);
    h.session.start();
    await h.waitDials(1);
    await waitFor(() => h.peers.length === 1, 'the stream');
    const peer = h.peer;
    await peer.next('open');
    peer.sendOpen(open);
    const n = await peer.next('notification');
    t.is(n.code, code);
    t.is(n.subcode, subcode);
    t.deepEqual([...n.data], [...data]);
    await h.waitState('Idle');
    const err = h.errors.at(-1)!;
    t.is(err.reason, 'NotificationSent');
    t.is(err.notification?.code, code);
    t.is(err.notification?.subcode, subcode);
    await peer.closed();
  });
}

test('an iBGP OPEN with our own BGP Identifier gets Bad BGP Identifier', async (t) => {
  const h = harness(t, { peerAs: 65010 });
  h.session.start();
  await h.waitDials(1);
  await waitFor(() => h.peers.length === 1, 'the stream');
  await h.peer.next('open');
  h.peer.sendOpen({ ...peerOpen({ as: 65010 }), bgpIdentifier: '10.0.0.9' });
  t.like(await h.peer.next('notification'), { code: 2, subcode: 3 });
});

function rawUpdate(body: number[]): Buffer {
  const b = Buffer.alloc(19 + body.length, 0xff);
  b.writeUInt16BE(19 + body.length, 16);
  b[18] = 2;
  Buffer.from(body).copy(b, 19);
  return b;
}

test('an UPDATE whose Withdrawn Routes Length overruns the message gets Malformed Attribute List (3,1)', async (t) => {
  const h = harness(t);
  const peer = await established(t, h);
  await initialTable(peer);
  peer.send(rawUpdate([0, 50, 0, 0]));
  const n = await peer.next('notification');
  t.deepEqual([n.code, n.subcode], [3, 1]);
  await h.waitState('Idle');
  t.is(h.errors.at(-1)!.reason, 'NotificationSent');
});

test('an UPDATE with a prefix length of 33 gets Invalid Network Field (3,10)', async (t) => {
  const h = harness(t);
  const peer = await established(t, h);
  await initialTable(peer);
  // ORIGIN IGP, AS_PATH [65001], NEXT_HOP 192.0.2.1, NLRI 33-bit prefix.
  const attrs = [0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9, 0x40, 3, 4, 192, 0, 2, 1];
  peer.send(rawUpdate([0, 0, 0, attrs.length, ...attrs, 33, 10, 0, 0, 0, 0]));
  const n = await peer.next('notification');
  t.deepEqual([n.code, n.subcode], [3, 10]);
  await h.waitState('Idle');
});

test('a treat-as-withdraw UPDATE (RFC 7606) keeps the session up and removes the prefixes', async (t) => {
  const h = harness(t);
  const peer = await established(t, h);
  await initialTable(peer);
  const p = { afi: 1 as const, length: 24, bytes: Uint8Array.of(198, 51, 100), key: '198.51.100.0/24' };
  const q = { afi: 1 as const, length: 24, bytes: Uint8Array.of(198, 51, 101), key: '198.51.101.0/24' };
  peer.sendUpdate({ withdrawn: [], attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: '192.0.2.1' }, nlri: [p, q] });
  await waitFor(() => h.session.status().receivedPrefixes === 2, 'two received prefixes');
  // ORIGIN missing: treat-as-withdraw of the NLRI.
  peer.sendUpdate({ withdrawn: [], attributes: { asPath: [{ type: 2, asns: [65001] }], nextHop: '192.0.2.1' }, nlri: [p] });
  await waitFor(() => h.session.status().receivedPrefixes === 1, 'one prefix left');
  await quiet(t, peer);
  t.is(h.session.state, 'Established');
});

test('ROUTE-REFRESH sends the table of that family again', async (t) => {
  const h = harness(t, { routes: ROUTES });
  const peer = await established(t, h);
  await initialTable(peer);
  peer.sendRouteRefresh(1);
  await waitFor(() => routesIn(peer.unread.map((r) => r.message)).announce.length >= 3, 'the IPv4 table');
  await settle(10);
  t.deepEqual(routesIn(peer.unread.map((r) => r.message)), { announce: asText(ROUTES.slice(0, 3)), withdraw: [] });
});

test('ROUTE-REFRESH for a family not negotiated is ignored', async (t) => {
  const h = harness(t, { routes: ROUTES, families: ['ipv4'] });
  const peer = await established(t, h, peerOpen({ families: ['ipv4'] }));
  await peer.until((m) => eorOf(m) === '1/1', 'End-of-RIB');
  peer.sendRouteRefresh(2);
  await quiet(t, peer);
  t.is(h.session.state, 'Established');
});

test('more prefixes than maxPrefixes ends the session with Cease/1 carrying AFI, SAFI and the limit', async (t) => {
  const h = harness(t, { maxPrefixes: 2 });
  const peer = await established(t, h);
  await initialTable(peer);
  const nlri = [1, 2, 3].map((i) => ({ afi: 1 as const, length: 24, bytes: Uint8Array.of(198, 51, i), key: `198.51.${i}.0/24` }));
  peer.sendUpdate({ withdrawn: [], attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: '192.0.2.1' }, nlri: nlri.slice(0, 2) });
  await waitFor(() => h.session.status().receivedPrefixes === 2, 'two prefixes');
  t.is(h.session.state, 'Established', 'at the limit is fine');
  peer.sendUpdate({ withdrawn: [], attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: '192.0.2.1' }, nlri: nlri.slice(2) });
  const n = await peer.next('notification');
  t.deepEqual([n.code, n.subcode], [6, 1]);
  t.deepEqual([...n.data], [0, 1, 1, 0, 0, 0, 2]);
  await h.waitState('Idle');
  t.is(h.errors.at(-1)!.reason, 'MaxPrefixesExceeded');
  // AutomaticStop: the session comes back by itself after the backoff.
  h.clock.advance(5_000);
  await h.waitDials(2);
});

test('dial failures report ConnectRefused and ConnectTimeout; retries come within 5 s, then back off exponentially', async (t) => {
  const h = harness(t);
  h.outcomes.push({ kind: 'refused' }, { kind: 'timeout' }, { kind: 'refused' }, { kind: 'other', message: 'EHOSTUNREACH' });
  h.session.start();
  await h.waitDials(1);
  await waitFor(() => h.errors.length === 1, 'first failure');
  t.is(h.errors[0]!.reason, 'ConnectRefused');
  t.is(h.dials[0]!.timeoutMs, 30_000);
  // random 0.5: delays are 3/4 of the ceiling 5 s, 10 s, 20 s.
  const gaps = [3_750, 7_500, 15_000];
  for (const [i, gap] of gaps.entries()) {
    h.clock.advance(gap - 1);
    await settle(5);
    t.is(h.dials.length, i + 1, `no dial before ${gap} ms`);
    h.clock.advance(1);
    await h.waitDials(i + 2);
    await waitFor(() => h.errors.length === i + 2, 'the failure');
  }
  t.deepEqual(h.errors.map((e) => e.reason), ['ConnectRefused', 'ConnectTimeout', 'ConnectRefused', 'ConnectError']);
  t.is(h.errors[3]!.message, 'EHOSTUNREACH');
  t.is(h.session.state, 'Idle');
});

test('a connection closed by the peer is reported as ConnectionClosed and retried', async (t) => {
  const h = harness(t);
  const peer = await established(t, h);
  await initialTable(peer);
  peer.end();
  await h.waitState('Idle');
  t.is(h.errors.at(-1)!.reason, 'ConnectionClosed');
  h.clock.advance(5_000);
  await h.waitDials(2);
});

test("stop('graceful') with graceful restart and no N bit closes without a NOTIFICATION", async (t) => {
  const h = harness(t);
  const peer = await established(t, h, peerOpen({ gr: { notification: false } }));
  await initialTable(peer);
  await h.session.stop('graceful');
  await peer.closed();
  t.false(peer.received.some((r) => r.message.type === 'notification'));
  t.is(h.session.state, 'Idle');
  t.is(h.errors.at(-1)?.reason, 'AdminStop');
  h.clock.advance(600_000);
  await settle(5);
  t.is(h.dials.length, 1, 'a stopped session does not reconnect');
});

test("stop('graceful') with the N bit on both sides sends Cease/Administrative Shutdown (RFC 8538)", async (t) => {
  const h = harness(t);
  const peer = await established(t, h, peerOpen({ gr: { notification: true } }));
  await initialTable(peer);
  await h.session.stop('graceful');
  const n = await peer.next('notification');
  t.deepEqual([n.code, n.subcode], [6, 2]);
  await peer.closed();
});

test("stop('graceful') without graceful restart at the peer sends Cease/Administrative Shutdown", async (t) => {
  const h = harness(t);
  const peer = await established(t, h);
  await initialTable(peer);
  await h.session.stop('graceful');
  const n = await peer.next('notification');
  t.deepEqual([n.code, n.subcode], [6, 2]);
});

test("stop('deconfigure') sends Cease/Peer De-configured, or Hard Reset carrying 6/3 with the N bit", async (t) => {
  const plain = harness(t);
  const p1 = await established(t, plain, peerOpen({ gr: { notification: false } }));
  await initialTable(p1);
  await plain.session.stop('deconfigure');
  const n1 = await p1.next('notification');
  t.deepEqual([n1.code, n1.subcode, [...n1.data]], [6, 3, []]);

  const withN = harness(t);
  const p2 = await established(t, withN, peerOpen({ gr: { notification: true } }));
  await initialTable(p2);
  await withN.session.stop('deconfigure');
  const n2 = await p2.next('notification');
  t.deepEqual([n2.code, n2.subcode, [...n2.data]], [6, 9, [6, 3]]);
  await p2.closed();
});

test('the R bit is set in the first OPEN and cleared after the first Established', async (t) => {
  const h = harness(t, {}, { restarting: true });
  const peer = await h.establish(peerOpen({ gr: {} }));
  const first = peer.received[0]!.message;
  const gr1 = first.type === 'open' ? first.capabilities.find((c) => c.code === 64) : undefined;
  t.like(gr1, { restartState: true, restartTime: 600 });
  peer.destroy();
  await h.waitState('Idle');
  h.clock.advance(5_000);
  await h.waitDials(2);
  await waitFor(() => h.peers.length === 2, 'the second stream');
  const second = await h.peer.next('open');
  t.like(second.capabilities.find((c) => c.code === 64), { restartState: false });
});

test('an OPEN that was sent before Established keeps the R bit on a retry', async (t) => {
  const h = harness(t, {}, { restarting: true });
  h.outcomes.push({ kind: 'refused' });
  h.session.start();
  await waitFor(() => h.errors.length === 1, 'the refused dial');
  h.clock.advance(5_000);
  await h.waitDials(2);
  await waitFor(() => h.peers.length === 1, 'the stream');
  const open = await h.peer.next('open');
  t.like(open.capabilities.find((c) => c.code === 64), { restartState: true });
});

async function collision(t: import('ava').ExecutionContext, peerId: string) {
  const h = harness(t);
  h.session.start();
  await h.waitDials(1);
  await waitFor(() => h.peers.length === 1, 'the dialed stream');
  const dialed = h.peer;
  await dialed.next('open');
  t.is(h.session.state, 'OpenSent');
  const [ours, theirs] = duplexPair();
  const incoming = new ScriptedPeer(theirs);
  t.teardown(() => incoming.destroy());
  h.session.accept(ours, { remoteAddress: '192.0.2.1', localAddress: '192.0.2.9' });
  await incoming.next('open');
  incoming.ctx = dialed.ctx;
  incoming.sendOpen(peerOpen({ id: peerId }));
  return { h, dialed, incoming };
}

test('collision: with our higher BGP Identifier our connection stays and the peer\'s gets Cease/7', async (t) => {
  const { h, dialed, incoming } = await collision(t, '10.0.0.1');
  const n = await incoming.next('notification');
  t.deepEqual([n.code, n.subcode], [6, 7]);
  await incoming.closed();
  t.is(h.session.state, 'OpenSent');
  dialed.sendOpen(peerOpen({ id: '10.0.0.1' }));
  dialed.sendKeepalive();
  await dialed.next('keepalive');
  await h.waitState('Established');
  t.false(dialed.received.some((r) => r.message.type === 'notification'));
});

test('collision: with the peer\'s higher BGP Identifier its connection is kept and ours gets Cease/7', async (t) => {
  const { h, dialed, incoming } = await collision(t, '10.0.0.200');
  const n = await dialed.next('notification');
  t.deepEqual([n.code, n.subcode], [6, 7]);
  await dialed.closed();
  await incoming.next('keepalive');
  t.is(h.session.state, 'OpenConfirm');
  incoming.sendKeepalive();
  await h.waitState('Established');
  t.is(h.session.status().peerRouterId, '10.0.0.200');
  await incoming.until((m) => eorOf(m) === '2/1', 'End-of-RIB on the kept connection');
});

test('an UPDATE in OpenConfirm is an FSM error (5,2, RFC 6608)', async (t) => {
  const h = harness(t);
  h.session.start();
  await h.waitDials(1);
  await waitFor(() => h.peers.length === 1, 'the stream');
  const peer = h.peer;
  await peer.next('open');
  peer.sendOpen(peerOpen());
  await peer.next('keepalive');
  t.is(h.session.state, 'OpenConfirm');
  peer.sendUpdate({ withdrawn: [], attributes: {}, nlri: [] });
  const n = await peer.next('notification');
  t.deepEqual([n.code, n.subcode], [5, 2]);
  await h.waitState('Idle');
});

test('a KEEPALIVE in OpenSent is an FSM error (5,1, RFC 6608)', async (t) => {
  const h = harness(t);
  h.session.start();
  await h.waitDials(1);
  await waitFor(() => h.peers.length === 1, 'the stream');
  await h.peer.next('open');
  h.peer.sendKeepalive();
  const n = await h.peer.next('notification');
  t.deepEqual([n.code, n.subcode], [5, 1]);
});

test("collision: when our connection fails before the peer's OPEN arrives, the session carries on over the peer's connection", async (t) => {
  const h = harness(t);
  h.session.start();
  await h.waitDials(1);
  await waitFor(() => h.peers.length === 1, 'the dialed stream');
  const dialed = h.peer;
  await dialed.next('open');
  const [ours, theirs] = duplexPair();
  const incoming = new ScriptedPeer(theirs);
  t.teardown(() => incoming.destroy());
  h.session.accept(ours, { remoteAddress: '192.0.2.1' });
  await incoming.next('open');
  dialed.destroy();
  await waitFor(() => h.session.state === 'Active' || h.session.state === 'Idle', 'our connection gone');
  incoming.sendOpen(peerOpen({ id: '10.0.0.1' }));
  await incoming.next('keepalive', 2000);
  incoming.sendKeepalive();
  await h.waitState('Established');
  h.clock.advance(10_000);
  await settle(10);
  t.is(h.dials.length, 1, 'no redial while the peer\'s connection is up');
});

test('an OPEN never answered ends the attempt after the large OpenSent hold time of 240 s', async (t) => {
  const h = harness(t);
  h.session.start();
  await h.waitDials(1);
  await waitFor(() => h.peers.length === 1, 'the stream');
  await h.peer.next('open');
  h.clock.advance(239_999);
  await settle(5);
  t.is(h.session.state, 'OpenSent');
  h.clock.advance(1);
  const n = await h.peer.next('notification');
  t.deepEqual([n.code, n.subcode], [4, 0]);
  t.is(h.errors.at(-1)?.reason, 'HoldTimerExpired');
});

test('a negotiated hold time of 0 sends no KEEPALIVEs and never expires', async (t) => {
  const h = harness(t);
  const peer = await established(t, h, peerOpen({ holdTime: 0 }));
  await initialTable(peer);
  h.clock.advance(3_600_000);
  await quiet(t, peer);
  t.is(h.session.state, 'Established');
  t.is(h.session.status().negotiated?.keepaliveTime, 0);
});

test('max-prefix exceeded by IPv6 routes names AFI 2 in the Cease data', async (t) => {
  const h = harness(t, { maxPrefixes: 1 });
  const peer = await established(t, h);
  await initialTable(peer);
  const nlri = [1, 2].map((i) => ({ afi: 2 as const, length: 64, bytes: Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, i, 0, 0), key: `2001:db8:${i}::/64` }));
  peer.sendUpdate({
    withdrawn: [],
    attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }] },
    nlri: [],
    mpReach: { afi: 2, safi: 1, nextHops: ['fd00::1'], nlri },
  });
  const n = await peer.next('notification');
  t.deepEqual([n.code, n.subcode, [...n.data]], [6, 1, [0, 2, 1, 0, 0, 0, 1]]);
});
