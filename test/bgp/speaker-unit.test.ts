// Speaker.sync over an in-memory dialer: sessions are added and removed by
// name; a routes-only change goes out as UPDATEs on the running session; a
// change the OPEN or the TCP connection depends on restarts just that
// session with Cease/Other Configuration Change (RFC 4486 subcode 6);
// removal is Cease/Peer De-configured (subcode 3).

import test from 'ava';
import { FakeClock } from '../../src/bgp/clock.js';
import type { DialRequest } from '../../src/bgp/session.js';
import { Speaker } from '../../src/bgp/speaker.js';
import type { SessionEvent, SessionSpec } from '../../src/bgp/types.js';
import { silentLogger } from '../../src/log.js';
import { endOfRibFamily } from '../../src/bgp/wire/index.js';
import { peerOpen, ScriptedPeer } from './helpers/peer.js';
import { duplexPair, settle, waitFor } from './helpers/streams.js';

const SPEC_A: SessionSpec = {
  name: 'a',
  peerAddress: '192.0.2.1',
  localAs: 65010,
  peerAs: 65001,
  routerId: '10.0.0.9',
  families: ['ipv4'],
  routes: [{ prefix: '10.244.1.0/24', nextHop: '172.16.0.11' }],
};
const SPEC_B: SessionSpec = { ...SPEC_A, name: 'b', peerAddress: '192.0.2.2', peerAs: 65002 };

interface World {
  speaker: Speaker;
  clock: FakeClock;
  dials: DialRequest[];
  /** Peers by peer address, in dial order. */
  peers: Map<string, ScriptedPeer[]>;
  events: SessionEvent[];
  refuse: Set<string>;
}

function world(t: import('ava').ExecutionContext): World {
  const clock = new FakeClock();
  const dials: DialRequest[] = [];
  const peers = new Map<string, ScriptedPeer[]>();
  const events: SessionEvent[] = [];
  const refuse = new Set<string>();
  const speaker = new Speaker({
    log: silentLogger(),
    clock,
    restarting: false,
    random: () => 0.5,
    dial: async (r) => {
      dials.push(r);
      if (refuse.has(r.host)) throw Object.assign(new Error(`connect ECONNREFUSED ${r.host}:${r.port}`), { kind: 'refused' });
      const [ours, theirs] = duplexPair();
      const list = peers.get(r.host) ?? [];
      list.push(new ScriptedPeer(theirs));
      peers.set(r.host, list);
      return ours;
    },
  });
  speaker.on('state', (e) => events.push(e));
  t.teardown(async () => {
    await speaker.stop('deconfigure');
    for (const list of peers.values()) for (const p of list) p.destroy();
  });
  return { speaker, clock, dials, peers, events, refuse };
}

async function peerOf(w: World, host: string, index: number): Promise<ScriptedPeer> {
  await waitFor(() => (w.peers.get(host)?.length ?? 0) > index, `connection ${index + 1} to ${host}`);
  return w.peers.get(host)![index]!;
}

async function establish(w: World, spec: SessionSpec, index = 0): Promise<ScriptedPeer> {
  const peer = await peerOf(w, spec.peerAddress, index);
  await peer.establish(peerOpen({ as: spec.peerAs, families: ['ipv4'], holdTime: spec.holdTime ?? 90 }));
  await peer.until((m) => m.type === 'update' && endOfRibFamily(m) !== null, 'End-of-RIB');
  await waitFor(() => w.speaker.status().find((s) => s.name === spec.name)?.state === 'Established', `${spec.name} Established`);
  return peer;
}

test('sync starts one session per spec and status lists them', async (t) => {
  const w = world(t);
  w.speaker.sync([SPEC_A, SPEC_B]);
  await establish(w, SPEC_A);
  await establish(w, SPEC_B);
  t.deepEqual(w.dials.map((d) => d.host).sort(), ['192.0.2.1', '192.0.2.2']);
  t.deepEqual(w.speaker.status().map((s) => [s.name, s.state, s.advertisedPrefixes]).sort(), [
    ['a', 'Established', 1],
    ['b', 'Established', 1],
  ]);
  t.true(w.events.some((e) => e.name === 'a' && e.to === 'Established'));
});

test('a routes-only change goes out as UPDATEs on the running session, with no new OPEN', async (t) => {
  const w = world(t);
  w.speaker.sync([SPEC_A]);
  const peer = await establish(w, SPEC_A);
  w.speaker.sync([{ ...SPEC_A, routes: [...SPEC_A.routes, { prefix: '10.244.2.0/24', nextHop: '172.16.0.12' }] }]);
  const u = await peer.next('update');
  t.deepEqual(u.nlri.map((p) => p.key), ['10.244.2.0/24']);
  t.is(u.attributes.nextHop, '172.16.0.12');
  await settle(10);
  t.is(w.dials.length, 1);
  t.deepEqual(peer.unread, []);
  t.false(peer.ended);
});

test('an unchanged sync does nothing at all', async (t) => {
  const w = world(t);
  w.speaker.sync([SPEC_A]);
  const peer = await establish(w, SPEC_A);
  w.speaker.sync([{ ...SPEC_A, routes: [...SPEC_A.routes] }]);
  await settle(10);
  t.deepEqual(peer.unread, []);
  t.is(w.dials.length, 1);
});

for (const [field, change] of [
  ['peerAs', { peerAs: 65005 }],
  ['md5Key', { md5Key: 's3cret' }],
  ['holdTime', { holdTime: 30 }],
] as const) {
  test(`a change of ${field} restarts only that session, with Cease/Other Configuration Change`, async (t) => {
    const w = world(t);
    w.speaker.sync([SPEC_A, SPEC_B]);
    const a = await establish(w, SPEC_A);
    const b = await establish(w, SPEC_B);
    const changed: SessionSpec = { ...SPEC_A, ...change };
    w.speaker.sync([changed, SPEC_B]);
    const n = await a.next('notification');
    t.deepEqual([n.code, n.subcode], [6, 6]);
    await a.closed();
    const again = await establish(w, changed, 1);
    t.false(again.ended);
    const dialA = w.dials.filter((d) => d.host === SPEC_A.peerAddress);
    t.is(dialA.length, 2);
    if (field === 'md5Key') t.is(dialA[1]!.md5Key, 's3cret');
    const open = again.received[0]!.message;
    t.is(open.type === 'open' ? open.holdTime : -1, changed.holdTime ?? 90);
    // The other session saw nothing.
    await settle(10);
    t.deepEqual(b.unread, []);
    t.false(b.ended);
    t.is(w.dials.filter((d) => d.host === SPEC_B.peerAddress).length, 1);
    const downA = w.events.find((e) => e.name === 'a' && e.error);
    t.is(downA?.error?.reason, 'ConfigChanged');
  });
}

test('a removed session is stopped with Cease/Peer De-configured and the state event carries the reason', async (t) => {
  const w = world(t);
  w.speaker.sync([SPEC_A, SPEC_B]);
  const a = await establish(w, SPEC_A);
  const b = await establish(w, SPEC_B);
  w.speaker.sync([SPEC_B]);
  const n = await a.next('notification');
  t.deepEqual([n.code, n.subcode], [6, 3]);
  await a.closed();
  t.deepEqual(w.speaker.status().map((s) => s.name), ['b']);
  const down = w.events.filter((e) => e.name === 'a' && e.from === 'Established');
  t.is(down.length, 1);
  t.is(down[0]!.to, 'Idle');
  t.is(down[0]!.error?.reason, 'AdminStop');
  await settle(10);
  t.false(b.ended);
  w.clock.advance(300_000);
  await settle(10);
  t.is(w.dials.filter((d) => d.host === SPEC_A.peerAddress).length, 1, 'a removed session never comes back');
});

test('failed attempts are emitted as state events with the error', async (t) => {
  const w = world(t);
  w.refuse.add(SPEC_A.peerAddress);
  w.speaker.sync([SPEC_A]);
  await waitFor(() => w.events.some((e) => e.error), 'an error event');
  const e = w.events.find((x) => x.error)!;
  t.is(e.name, 'a');
  t.is(e.from, 'Connect');
  t.is(e.error?.reason, 'ConnectRefused');
  t.regex(e.error!.message, /ECONNREFUSED/);
  t.is(e.status.lastError?.reason, 'ConnectRefused');
});

test("stop('graceful') resolves once every connection is closed", async (t) => {
  const w = world(t);
  w.speaker.sync([SPEC_A, SPEC_B]);
  const a = await establish(w, SPEC_A);
  const b = await establish(w, SPEC_B);
  await w.speaker.stop('graceful');
  await a.closed();
  await b.closed();
  t.deepEqual(w.speaker.status(), []);
  w.speaker.sync([SPEC_A]);
  await settle(5);
  t.is(w.dials.length, 2, 'sync after stop does nothing');
});

test('only sessions created soon after start-up set the Restart State bit (RFC 4724 §3)', async (t) => {
  const clock = new FakeClock();
  const opens: { host: string; r: boolean }[] = [];
  const peers: ScriptedPeer[] = [];
  const speaker = new Speaker({
    log: silentLogger(),
    clock,
    restartWindowMs: 60_000,
    random: () => 0.5,
    dial: async (r) => {
      const [ours, theirs] = duplexPair();
      const peer = new ScriptedPeer(theirs);
      peers.push(peer);
      void peer.next('open').then((m) => {
        const gr = m.capabilities.find((c) => c.code === 64);
        opens.push({ host: r.host, r: gr !== undefined && 'restartState' in gr && gr.restartState });
      });
      return ours;
    },
  });
  t.teardown(async () => {
    await speaker.stop('deconfigure');
    for (const p of peers) p.destroy();
  });
  speaker.sync([SPEC_A]);
  await waitFor(() => opens.length === 1, 'the first OPEN');
  clock.advance(61_000);
  speaker.sync([SPEC_A, SPEC_B]);
  await waitFor(() => opens.length === 2, 'the second OPEN');
  await settle();
  t.deepEqual(opens, [
    { host: SPEC_A.peerAddress, r: true },
    { host: SPEC_B.peerAddress, r: false },
  ]);
});
