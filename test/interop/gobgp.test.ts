// Our speaker against a real GoBGP on a LAN of network namespaces: GoBGP,
// like a switch, refuses loopback next hops, so the speaker and GoBGP each
// get a namespace on 198.18.0.0/24 and 2001:db8:18::/64. Checked in GoBGP's
// own table (`gobgp neighbor <addr> adj-in -j`): exact prefixes, next hops
// (own and third-party), AS_PATH and ORIGIN; changes without a session
// reset; TCP MD5; graceful restart with the speaker process killed.

import type { ExecutionContext } from 'ava';
import type { SessionSpec } from '../../src/bgp/index.js';
import { createLan, requirePeer, testWithPeer, startGobgp, waitFor, type GobgpHandle, type Lan } from '../peers/index.js';
import { startSpeakerProcess, type SpeakerProcess } from './util.js';

const gobgpTest = testWithPeer('gobgp', 'netns');

interface World {
  lan: Lan;
  gobgp: GobgpHandle;
  spec: SessionSpec;
  speaker: SpeakerProcess;
}

async function world(
  t: ExecutionContext,
  opts: {
    localAs: number;
    password?: string;
    gobgpPassword?: string;
    grNotification?: boolean;
    /** The family of the session's own addresses (default IPv4). */
    transport?: 'ipv4' | 'ipv6';
    routes: (lan: Lan) => SessionSpec['routes'];
  },
): Promise<World> {
  const lan = await createLan({ hosts: ['switch', 'node1', 'node2'] });
  t.teardown(() => lan.destroy());
  const sw = lan.host('switch');
  const node1 = lan.host('node1');
  const family = opts.transport ?? 'ipv4';
  const gobgp = await startGobgp({
    routerId: sw.ipv4,
    localAs: 65001,
    listenPort: 179,
    netns: sw.ns,
    neighbors: [{ address: node1[family], as: opts.localAs, passive: true, password: opts.gobgpPassword ?? opts.password, gracefulRestart: true, grTime: 120, grNotification: opts.grNotification, ipv4: true, ipv6: true }],
  });
  t.teardown(() => gobgp.stop());
  const spec: SessionSpec = {
    name: 'switch',
    peerAddress: sw[family],
    localAddress: node1[family],
    localAs: opts.localAs,
    peerAs: 65001,
    routerId: node1.ipv4,
    md5Key: opts.password,
    connectTimeout: 3,
    routes: opts.routes(lan),
  };
  const speaker = await startSpeakerProcess([spec], { netns: node1.ns });
  t.teardown(() => speaker.kill());
  return { lan, gobgp, spec, speaker };
}

function podRoutes(lan: Lan): SessionSpec['routes'] {
  const n1 = lan.host('node1');
  const n2 = lan.host('node2');
  return [
    { prefix: '10.244.1.0/24', nextHop: n1.ipv4 },
    // node2's pod CIDR, advertised by node1 with node2 as next hop (third party).
    { prefix: '10.244.2.0/24', nextHop: n2.ipv4 },
    { prefix: 'fd00:10:244:1::/64', nextHop: n1.ipv6 },
    { prefix: 'fd00:10:244:2::/64', nextHop: n2.ipv6 },
  ];
}

async function adjIn(w: World): Promise<Map<string, { nextHop: string; asPath: number[]; origin: string; stale: boolean }>> {
  const addr = w.lan.host('node1').ipv4;
  const all = [...(await w.gobgp.adjIn(addr, 'ipv4')), ...(await w.gobgp.adjIn(addr, 'ipv6'))];
  return new Map(all.map((p) => [p.prefix, p as { nextHop: string; asPath: number[]; origin: string; stale: boolean } & typeof p]));
}

async function waitPrefixes(w: World, prefixes: string[], what: string): Promise<void> {
  const want = [...prefixes].sort().join(',');
  await waitFor(async () => {
    const have = [...(await adjIn(w)).keys()].sort().join(',');
    return { ok: have === want, value: have };
  }, { what, timeoutMs: 20000, intervalMs: 200 });
}

gobgpTest('GoBGP learns our IPv4 and IPv6 routes with their own and third-party next hops', async (t) => {
  if (!requirePeer(t, 'gobgp', 'netns')) return;
  const w = await world(t, { localAs: 65010, routes: podRoutes });
  await w.gobgp.waitEstablished(w.lan.host('node1').ipv4, 20000);
  const routes = podRoutes(w.lan);
  await waitPrefixes(w, routes.map((r) => r.prefix), 'GoBGP adj-in holding the four routes');
  const got = await adjIn(w);
  for (const r of routes) {
    const p = got.get(r.prefix)!;
    t.is(p.nextHop, r.nextHop, `next hop of ${r.prefix}`);
    t.deepEqual(p.asPath, [65010], `AS_PATH of ${r.prefix}`);
    t.regex(String(p.origin), /igp|^0$|IGP/i, `ORIGIN of ${r.prefix}`);
  }
});

gobgpTest('GoBGP sees routes change without a session reset, with a 4-octet local ASN', async (t) => {
  if (!requirePeer(t, 'gobgp', 'netns')) return;
  const w = await world(t, { localAs: 4200000001, routes: (lan) => podRoutes(lan).slice(0, 1) });
  const addr = w.lan.host('node1').ipv4;
  await w.gobgp.waitEstablished(addr, 20000);
  await waitPrefixes(w, ['10.244.1.0/24'], 'the first route');
  t.deepEqual((await adjIn(w)).get('10.244.1.0/24')!.asPath, [4200000001]);
  const uptime = (await w.gobgp.neighbor(addr))!.uptime;

  w.speaker.sync([{ ...w.spec, routes: podRoutes(w.lan).slice(1) }]);
  await waitPrefixes(w, ['10.244.2.0/24', 'fd00:10:244:1::/64', 'fd00:10:244:2::/64'], 'one withdrawn, three added');
  const n = (await w.gobgp.neighbor(addr))!;
  t.is(n.state, 'ESTABLISHED');
  t.is(n.uptime, uptime, 'the session was not reset');
});

gobgpTest('GoBGP with the right TCP MD5 password establishes, with a wrong one it does not', async (t) => {
  if (!requirePeer(t, 'gobgp', 'netns')) return;
  const good = await world(t, { localAs: 65010, password: 'R1ght-key', routes: (lan) => podRoutes(lan).slice(0, 1) });
  await good.gobgp.waitEstablished(good.lan.host('node1').ipv4, 20000);
  await waitPrefixes(good, ['10.244.1.0/24'], 'the route over MD5');

  const bad = await world(t, { localAs: 65010, password: 'wrong-key', gobgpPassword: 'R1ght-key', routes: (lan) => podRoutes(lan).slice(0, 1) });
  const failure = await bad.speaker.waitFor((l) => l.error !== undefined, 'a failed attempt', 15000);
  t.is(failure.error!.reason, 'ConnectTimeout');
  t.regex(failure.error!.message, /TCP MD5 key mismatch/);
  t.not((await bad.gobgp.neighbor(bad.lan.host('node1').ipv4))?.state, 'ESTABLISHED');
});

gobgpTest('GoBGP keeps our routes stale while the speaker restarts and refreshes them after End-of-RIB', async (t) => {
  if (!requirePeer(t, 'gobgp', 'netns')) return;
  const w = await world(t, { localAs: 65010, routes: podRoutes });
  const node1 = w.lan.host('node1');
  await w.gobgp.waitEstablished(node1.ipv4, 20000);
  await waitPrefixes(w, podRoutes(w.lan).map((r) => r.prefix), 'four routes');
  await w.speaker.kill();

  // GoBGP keeps stale routes in its global RIB (adj-in empties when the session drops).
  await waitFor(async () => {
    const rib = [...(await w.gobgp.rib('ipv4')), ...(await w.gobgp.rib('ipv6'))];
    return { ok: rib.length === 4 && rib.every((p) => p.stale), value: rib.map((p) => [p.prefix, p.stale]) };
  }, { what: 'four stale routes in GoBGP', timeoutMs: 15000 });

  const restarted = await startSpeakerProcess([{ ...w.spec, routes: podRoutes(w.lan).slice(0, 3) }], { netns: node1.ns });
  t.teardown(() => restarted.kill());
  await waitFor(async () => {
    const rib = [...(await w.gobgp.rib('ipv4')), ...(await w.gobgp.rib('ipv6'))];
    return { ok: rib.length === 3 && rib.every((p) => !p.stale), value: rib.map((p) => [p.prefix, p.stale]) };
  }, { what: 'three fresh routes after End-of-RIB, the removed one gone', timeoutMs: 30000, intervalMs: 250 });
  const held = [...(await w.gobgp.rib('ipv4')), ...(await w.gobgp.rib('ipv6'))].map((p) => p.prefix).sort();
  t.deepEqual(held, podRoutes(w.lan).slice(0, 3).map((r) => r.prefix).sort(), 'exactly the routes the restarted speaker advertises');
});

gobgpTest('with the RFC 8538 N bit, SIGTERM sends a Cease that GoBGP treats as a restart, and de-configuring sends Hard Reset', async (t) => {
  if (!requirePeer(t, 'gobgp', 'netns')) return;
  const w = await world(t, { localAs: 65010, grNotification: true, routes: podRoutes });
  const node1 = w.lan.host('node1');
  const n = await w.gobgp.waitEstablished(node1.ipv4, 20000);
  await waitPrefixes(w, podRoutes(w.lan).map((r) => r.prefix), 'four routes');
  const established = await w.speaker.waitFor((l) => l.to === 'Established', 'Established');
  t.truthy(established);
  t.is(n.state, 'ESTABLISHED');

  // SIGTERM: both sides have N, so we say goodbye with Cease / Administrative
  // Shutdown, and GoBGP must still keep our routes as stale (RFC 8538 §2).
  t.is(await w.speaker.stop(), 0);
  await waitFor(async () => {
    const rib = [...(await w.gobgp.rib('ipv4')), ...(await w.gobgp.rib('ipv6'))];
    return { ok: rib.length === 4 && rib.every((p) => p.stale), value: rib.map((p) => [p.prefix, p.stale]) };
  }, { what: 'four stale routes in GoBGP after a Cease under N', timeoutMs: 15000 });
  t.regex(w.gobgp.log(), /speaker restarting/, "GoBGP received our Cease with its shutdown communication");

  // Back again, then removed from the configuration: Hard Reset, GoBGP drops them now.
  const again = await startSpeakerProcess([w.spec], { netns: node1.ns });
  t.teardown(() => again.kill());
  await waitFor(async () => {
    const rib = [...(await w.gobgp.rib('ipv4')), ...(await w.gobgp.rib('ipv6'))];
    return { ok: rib.length === 4 && rib.every((p) => !p.stale), value: rib.map((p) => [p.prefix, p.stale]) };
  }, { what: 'four fresh routes', timeoutMs: 30000, intervalMs: 250 });
  again.sync([]);
  await waitFor(async () => {
    const rib = [...(await w.gobgp.rib('ipv4')), ...(await w.gobgp.rib('ipv6'))];
    return { ok: rib.length === 0, value: rib.map((p) => [p.prefix, p.stale]) };
  }, { what: 'GoBGP dropping every route after Hard Reset', timeoutMs: 15000 });
  t.deepEqual([...(await w.gobgp.rib('ipv4')), ...(await w.gobgp.rib('ipv6'))], [], 'nothing kept as stale after Hard Reset');
});

gobgpTest('a session over IPv6 carries both families to GoBGP with the right next hops', async (t) => {
  if (!requirePeer(t, 'gobgp', 'netns')) return;
  const w = await world(t, { localAs: 65010, transport: 'ipv6', routes: podRoutes });
  const node1 = w.lan.host('node1');
  await w.gobgp.waitEstablished(node1.ipv6, 20000);
  const routes = podRoutes(w.lan);
  const want = routes.map((r) => r.prefix).sort().join(',');
  let got = new Map<string, string>();
  await waitFor(async () => {
    const all = [...(await w.gobgp.adjIn(node1.ipv6, 'ipv4')), ...(await w.gobgp.adjIn(node1.ipv6, 'ipv6'))];
    got = new Map(all.map((p) => [p.prefix, p.nextHop]));
    return { ok: [...got.keys()].sort().join(',') === want, value: [...got.entries()] };
  }, { what: 'both families over the IPv6 session', timeoutMs: 20000, intervalMs: 200 });
  for (const r of routes) t.is(got.get(r.prefix), r.nextHop, r.prefix);
});
