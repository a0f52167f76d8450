// Our speaker against a real BIRD 2 on loopback: sessions in eBGP and iBGP
// with 2- and 4-octet ASNs, the exact IPv4 and IPv6 routes BIRD ends up
// holding (prefix, next hop, AS_PATH, ORIGIN, LOCAL_PREF), route changes
// without a session reset, and TCP MD5 with right and wrong keys.
// BIRD's own view (`birdc show route all`, `show protocols all`) is the judge.

import type { ExecutionContext } from 'ava';
import { Speaker, type SessionEvent, type SessionSpec } from '../../src/bgp/index.js';
import { silentLogger } from '../../src/log.js';
import { requirePeer, testWithPeer, waitFor, type BirdHandle, sameSessionSince } from '../peers/index.js';
import { birdPeer, specFor } from './util.js';

const birdTest = testWithPeer('bird');

interface Setup {
  bird: BirdHandle;
  speaker: Speaker;
  spec: SessionSpec;
  events: SessionEvent[];
}

async function setup(
  t: ExecutionContext,
  opts: { localAs: number; peerAs: number; routes: SessionSpec['routes']; password?: string; birdPassword?: string; gracefulRestart?: boolean },
): Promise<Setup> {
  const peer = await birdPeer(t, {
    localAs: opts.peerAs,
    neighbor: { as: opts.localAs, ipv4: true, ipv6: true, password: opts.birdPassword ?? opts.password, gracefulRestart: opts.gracefulRestart ?? true },
  });
  const bird = peer.bird;
  const spec = specFor(peer, { localAs: opts.localAs, peerAs: opts.peerAs, md5Key: opts.password, routes: opts.routes });
  const speaker = new Speaker({ log: silentLogger() });
  const events: SessionEvent[] = [];
  speaker.on('state', (e) => events.push(e));
  t.teardown(() => speaker.stop('deconfigure'));
  speaker.sync([spec]);
  return { bird, speaker, spec, events };
}

async function birdRoutes(bird: BirdHandle): Promise<Map<string, { nextHop: string; asPath: number[]; origin?: string; localPref?: number }>> {
  const routes = await bird.routes();
  return new Map(routes.filter((r) => r.fromProtocol === 'ebs').map((r) => [r.prefix, r]));
}

async function waitRoutes(bird: BirdHandle, prefixes: string[], what: string): Promise<void> {
  const want = [...prefixes].sort().join(',');
  await waitFor(
    async () => {
      const have = [...(await birdRoutes(bird)).keys()].sort().join(',');
      return { ok: have === want, value: have };
    },
    { what, timeoutMs: 15000 },
  );
}

const ROUTES = [
  { prefix: '10.244.1.0/24', nextHop: '127.0.0.11' },
  // Third-party next hops: the owning node, not the speaker (RFC 4271 §5.1.3).
  { prefix: '10.244.2.0/24', nextHop: '127.0.0.12' },
  { prefix: '10.244.3.0/24', nextHop: '127.0.0.12' },
  { prefix: 'fd00:10:244:1::/64', nextHop: 'fd00::11' },
  { prefix: 'fd00:10:244:2::/64', nextHop: 'fd00::12' },
];

birdTest('an eBGP session with 2-octet ASNs reaches Established and BIRD holds exactly our routes', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const { bird, speaker } = await setup(t, { localAs: 65010, peerAs: 65001, routes: ROUTES });
  const proto = await bird.waitEstablished('ebs', 15000);
  t.is(proto.neighborAs, 65010);
  await waitRoutes(bird, ROUTES.map((r) => r.prefix), 'BIRD holding the five routes');
  const got = await birdRoutes(bird);
  for (const r of ROUTES) {
    const route = got.get(r.prefix)!;
    t.is(route.nextHop, r.nextHop, `next hop of ${r.prefix}`);
    t.deepEqual(route.asPath, [65010], `AS_PATH of ${r.prefix}`);
    t.is(route.origin, 'IGP', `ORIGIN of ${r.prefix}`);
  }
  const [status] = speaker.status();
  t.is(status!.state, 'Established');
  t.is(status!.advertisedPrefixes, 5);
  t.deepEqual([...status!.negotiated!.families].sort(), ['ipv4', 'ipv6']);
  t.true(status!.negotiated!.gracefulRestart.peer);
});

birdTest('an iBGP session with a 4-octet ASN sends an empty AS_PATH and LOCAL_PREF 100', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const routes = ROUTES.slice(0, 2);
  const { bird } = await setup(t, { localAs: 4200000001, peerAs: 4200000001, routes });
  await bird.waitEstablished('ebs', 15000);
  await waitRoutes(bird, routes.map((r) => r.prefix), 'BIRD holding the iBGP routes');
  const got = await birdRoutes(bird);
  for (const r of routes) {
    t.deepEqual(got.get(r.prefix)!.asPath, []);
    t.is(got.get(r.prefix)!.localPref, 100);
    t.is(got.get(r.prefix)!.nextHop, r.nextHop);
  }
  const proto = await bird.protocol('ebs');
  t.is(proto.neighborAs, 4200000001);
});

birdTest('an eBGP session from 4-octet AS 4200000001 puts that ASN in the AS_PATH', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const routes = ROUTES.slice(0, 1);
  const { bird, speaker } = await setup(t, { localAs: 4200000001, peerAs: 65001, routes });
  await bird.waitEstablished('ebs', 15000);
  await waitRoutes(bird, [routes[0]!.prefix], 'BIRD holding the route');
  t.deepEqual((await birdRoutes(bird)).get(routes[0]!.prefix)!.asPath, [4200000001]);
  t.true(speaker.status()[0]!.negotiated!.as4);
});

birdTest('a route added later appears and a withdrawn route disappears without a session reset', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const { bird, speaker, spec } = await setup(t, { localAs: 65010, peerAs: 65001, routes: ROUTES.slice(0, 2) });
  await bird.waitEstablished('ebs', 15000);
  await waitRoutes(bird, ['10.244.1.0/24', '10.244.2.0/24'], 'the first two routes');
  const since = (await bird.protocol('ebs')).since;

  speaker.sync([{ ...spec, routes: [ROUTES[1]!, ROUTES[2]!, ROUTES[4]!] }]);
  await waitRoutes(bird, ['10.244.2.0/24', '10.244.3.0/24', 'fd00:10:244:2::/64'], 'one withdrawn, two added');

  // A changed next hop is an implicit withdraw and re-announce (RFC 4271 §3.1).
  speaker.sync([{ ...spec, routes: [{ prefix: '10.244.2.0/24', nextHop: '127.0.0.13' }] }]);
  await waitFor(
    async () => {
      const got = await birdRoutes(bird);
      return { ok: got.size === 1 && got.get('10.244.2.0/24')?.nextHop === '127.0.0.13', value: [...got.entries()] };
    },
    { what: 'the next hop changed in place', timeoutMs: 10000 },
  );
  const after = await bird.protocol('ebs');
  t.true(sameSessionSince(after.since, since), `BIRD session was not reset (${since} -> ${after.since})`);
  t.is(after.bgpState, 'Established');
  t.is(speaker.status()[0]!.establishedCount, 1);
});

birdTest('TCP MD5 with the right password establishes', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const { bird, speaker } = await setup(t, { localAs: 65010, peerAs: 65001, routes: ROUTES.slice(0, 1), password: 'kube-bgp-S3cret' });
  await bird.waitEstablished('ebs', 15000);
  await waitRoutes(bird, ['10.244.1.0/24'], 'the route over an MD5 session');
  t.is(speaker.status()[0]!.state, 'Established');
});

birdTest('TCP MD5 with a wrong password does not establish and says why', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const { bird, events } = await setup(t, {
    localAs: 65010,
    peerAs: 65001,
    routes: ROUTES.slice(0, 1),
    password: 'wrong-password',
    birdPassword: 'right-password',
  });
  await waitFor(async () => ({ ok: events.some((e) => e.error), value: events.length }), { what: 'a failed attempt', timeoutMs: 15000 });
  const failure = events.find((e) => e.error)!;
  t.is(failure.error!.reason, 'ConnectTimeout');
  t.regex(failure.error!.message, /no answer from .* within 3 s \(TCP MD5 key mismatch or peer unreachable\?\)/);
  t.false(failure.error!.message.includes('wrong-password'), 'the key is never in a message');
  t.not((await bird.protocol('ebs')).bgpState, 'Established');
});

birdTest('a peer that uses another AS gets OPEN Message Error / Bad Peer AS and the reason says so', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const { bird, address: birdAddress, port, local } = await birdPeer(t, { localAs: 65002 });
  const speaker = new Speaker({ log: silentLogger() });
  const events: SessionEvent[] = [];
  speaker.on('state', (e) => events.push(e));
  t.teardown(() => speaker.stop('deconfigure'));
  speaker.sync([{ name: 'p', peerAddress: birdAddress, peerPort: port, localAddress: local, localAs: 65010, peerAs: 65001, routerId: local, routes: [] }]);
  await waitFor(async () => ({ ok: events.some((e) => e.error?.reason === 'NotificationSent'), value: events.map((e) => e.error?.message) }), {
    what: 'Bad Peer AS sent',
    timeoutMs: 15000,
  });
  const e = events.find((x) => x.error?.reason === 'NotificationSent')!;
  t.regex(e.error!.message, /Bad Peer AS/);
  t.regex(e.error!.message, /65002/);
  await waitFor(async () => ({ ok: /Bad peer AS|BGP Error/i.test((await bird.protocol('ebs')).lastError ?? ''), value: (await bird.protocol('ebs')).lastError }), {
    what: 'BIRD reporting the NOTIFICATION it received',
    timeoutMs: 5000,
  });
  t.not((await bird.protocol('ebs')).bgpState, 'Established', 'BIRD did not keep the session');
});
