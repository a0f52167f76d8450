// Our speaker against a real FRR bgpd on a LAN of network namespaces (FRR,
// like a switch, treats 127/8 next hops as martian). Checked in FRR's own
// table (`show bgp ipv4 unicast json`): exact prefixes, next hops including
// a third-party one, AS_PATH; MD5; graceful restart with the process killed.

import type { ExecutionContext } from 'ava';
import type { SessionSpec } from '../../src/bgp/index.js';
import { createLan, requirePeer, testWithPeer, startFrr, waitFor, type FrrHandle, type Lan } from '../peers/index.js';
import { startSpeakerProcess, type SpeakerProcess } from './util.js';

const frrTest = testWithPeer('frr', 'netns');

interface World {
  lan: Lan;
  frr: FrrHandle;
  spec: SessionSpec;
  speaker: SpeakerProcess;
}

function podRoutes(lan: Lan): SessionSpec['routes'] {
  return [
    { prefix: '10.244.1.0/24', nextHop: lan.host('node1').ipv4 },
    { prefix: '10.244.2.0/24', nextHop: lan.host('node2').ipv4 },
    { prefix: 'fd00:10:244:1::/64', nextHop: lan.host('node1').ipv6 },
  ];
}

async function world(t: ExecutionContext, password?: string): Promise<World> {
  const lan = await createLan({ hosts: ['switch', 'node1', 'node2'] });
  t.teardown(() => lan.destroy());
  const sw = lan.host('switch');
  const node1 = lan.host('node1');
  const frr = await startFrr({
    routerId: sw.ipv4,
    localAs: 65001,
    listenAddress: sw.ipv4,
    gracefulRestart: true,
    netns: sw.ns,
    neighbors: [{ address: node1.ipv4, as: 65010, passive: true, password, ipv4: true, ipv6: true }],
  });
  t.teardown(() => frr.stop());
  const spec: SessionSpec = {
    name: 'switch',
    peerAddress: sw.ipv4,
    localAddress: node1.ipv4,
    localAs: 65010,
    peerAs: 65001,
    routerId: node1.ipv4,
    md5Key: password,
    connectTimeout: 3,
    routes: podRoutes(lan),
  };
  const speaker = await startSpeakerProcess([spec], { netns: node1.ns });
  t.teardown(() => speaker.kill());
  return { lan, frr, spec, speaker };
}

async function rib(frr: FrrHandle): Promise<Map<string, { nextHop: string; asPath: number[]; stale: boolean }>> {
  const all = [...(await frr.rib('ipv4')), ...(await frr.rib('ipv6'))];
  return new Map(all.map((p) => [p.prefix, p]));
}

frrTest('FRR learns our routes with the exact next hops and AS_PATH, over TCP MD5', async (t) => {
  if (!requirePeer(t, 'frr', 'netns')) return;
  const w = await world(t, 'frr-Secret-1');
  await w.frr.waitEstablished(w.lan.host('node1').ipv4, 20000);
  const want = podRoutes(w.lan);
  await waitFor(async () => {
    const got = await rib(w.frr);
    return { ok: want.every((r) => got.has(r.prefix)), value: [...got.keys()] };
  }, { what: 'FRR holding our three routes', timeoutMs: 20000, intervalMs: 250 });
  const got = await rib(w.frr);
  for (const r of want) {
    t.is(got.get(r.prefix)!.nextHop, r.nextHop, `next hop of ${r.prefix}`);
    t.deepEqual(got.get(r.prefix)!.asPath, [65010], `AS_PATH of ${r.prefix}`);
  }
});

frrTest('FRR keeps our routes stale while the speaker process restarts, then refreshes them', async (t) => {
  if (!requirePeer(t, 'frr', 'netns')) return;
  const w = await world(t);
  const node1 = w.lan.host('node1');
  await w.frr.waitEstablished(node1.ipv4, 20000);
  await waitFor(async () => ({ ok: (await rib(w.frr)).size === 3, value: [...(await rib(w.frr)).keys()] }), { what: 'three routes', timeoutMs: 20000, intervalMs: 250 });
  await w.speaker.kill();
  await waitFor(async () => {
    const got = [...(await rib(w.frr)).values()];
    return { ok: got.length === 3 && got.every((p) => p.stale), value: got.map((p) => p.stale) };
  }, { what: 'three stale routes in FRR', timeoutMs: 15000, intervalMs: 250 });
  const restarted = await startSpeakerProcess([{ ...w.spec, routes: podRoutes(w.lan).slice(0, 2) }], { netns: node1.ns });
  t.teardown(() => restarted.kill());
  await waitFor(async () => {
    const got = await rib(w.frr);
    return { ok: got.size === 2 && [...got.values()].every((p) => !p.stale), value: [...got.entries()].map(([k, p]) => [k, p.stale]) };
  }, { what: 'two fresh routes, the removed one gone', timeoutMs: 30000, intervalMs: 250 });
  t.deepEqual([...(await rib(w.frr)).keys()].sort(), podRoutes(w.lan).slice(0, 2).map((r) => r.prefix).sort());
});
