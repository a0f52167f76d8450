// Graceful restart (RFC 4724) as the switch sees it, with BIRD 2 as the
// switch: the speaker runs as a process of its own and is killed (SIGKILL)
// or stopped (SIGTERM). BIRD must keep our routes as stale in between, take
// the refreshed table after End-of-RIB, and drop a route that was removed
// while the speaker was down. A deliberate removal of the peer (Cease/Peer
// De-configured) must make BIRD drop the routes at once.

import type { ExecutionContext } from 'ava';
import type { SessionSpec } from '../../src/bgp/index.js';
import { requirePeer, testWithPeer, waitFor, type BirdHandle } from '../peers/index.js';
import { birdPeer, specFor, startSpeakerProcess } from './util.js';

const birdTest = testWithPeer('bird');

const ROUTES = [
  { prefix: '10.244.1.0/24', nextHop: '127.0.0.11' },
  { prefix: '10.244.2.0/24', nextHop: '127.0.0.12' },
  { prefix: 'fd00:10:244:1::/64', nextHop: 'fd00::11' },
];

async function setup(t: ExecutionContext): Promise<{ bird: BirdHandle; spec: SessionSpec }> {
  const peer = await birdPeer(t, { neighbor: { ipv4: true, ipv6: true, gracefulRestart: true } });
  const spec = specFor(peer, { gracefulRestart: { enabled: true, restartTime: 600 }, routes: ROUTES });
  const bird = peer.bird;
  return { bird, spec };
}

async function ourRoutes(bird: BirdHandle): Promise<{ prefix: string; stale: boolean }[]> {
  return (await bird.routes()).filter((r) => r.fromProtocol === 'ebs').map((r) => ({ prefix: r.prefix, stale: r.stale }));
}

async function restartCycle(t: ExecutionContext, how: 'kill' | 'stop'): Promise<void> {
  const { bird, spec } = await setup(t);
  const first = await startSpeakerProcess([spec]);
  t.teardown(() => first.kill());
  await first.waitFor((l) => l.to === 'Established', 'first session Established');
  await waitFor(async () => ({ ok: (await ourRoutes(bird)).length === 3, value: await ourRoutes(bird) }), { what: 'three routes at BIRD', timeoutMs: 10000 });
  const proto = await bird.protocol('ebs');
  t.true(proto.neighborGracefulRestartActive === false);

  if (how === 'kill') await first.kill();
  else t.is(await first.stop(), 0, 'SIGTERM exits 0');

  // BIRD keeps the routes, marked stale, while the restart timer runs (RFC 4724 §4.2).
  await waitFor(async () => ({ ok: (await bird.protocol('ebs')).neighborGracefulRestartActive, value: (await bird.protocol('ebs')).info }), {
    what: 'BIRD in graceful restart for our session',
    timeoutMs: 10000,
  });
  const held = await ourRoutes(bird);
  t.deepEqual(held.map((r) => r.prefix).sort(), ROUTES.map((r) => r.prefix).sort(), 'routes kept while the speaker is down');
  t.true(held.every((r) => r.stale), 'and marked stale');
  const restartTimer = (await bird.protocol('ebs')).restartTimer ?? 0;
  t.true(restartTimer > 500, `BIRD uses our 600 s restart time (timer at ${restartTimer})`);

  // While down, one node lost its pod CIDR: the restarted speaker no longer has it.
  const second = await startSpeakerProcess([{ ...spec, routes: ROUTES.filter((r) => r.prefix !== '10.244.2.0/24') }]);
  t.teardown(() => second.kill());
  await second.waitFor((l) => l.to === 'Established', 'second session Established');
  await waitFor(
    async () => {
      const routes = await ourRoutes(bird);
      const p = await bird.protocol('ebs');
      return {
        ok: !p.neighborGracefulRestartActive && routes.length === 2 && routes.every((r) => !r.stale),
        value: { routes, gr: p.neighborGracefulRestartActive },
      };
    },
    { what: 'BIRD refreshed after End-of-RIB, the removed route gone', timeoutMs: 10000 },
  );
  t.deepEqual((await ourRoutes(bird)).map((r) => r.prefix).sort(), ['10.244.1.0/24', 'fd00:10:244:1::/64']);
}

birdTest('a killed speaker leaves its routes stale at the peer and the restarted one refreshes them', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  await restartCycle(t, 'kill');
});

birdTest('SIGTERM closes the session so that the peer keeps the routes for the restart time', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  await restartCycle(t, 'stop');
});

birdTest('removing the peer from the configuration makes the peer drop our routes at once', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const { bird, spec } = await setup(t);
  const sp = await startSpeakerProcess([spec]);
  t.teardown(() => sp.kill());
  await sp.waitFor((l) => l.to === 'Established', 'Established');
  await waitFor(async () => ({ ok: (await ourRoutes(bird)).length === 3, value: await ourRoutes(bird) }), { what: 'three routes', timeoutMs: 10000 });
  sp.sync([]);
  await waitFor(async () => ({ ok: (await ourRoutes(bird)).length === 0, value: await ourRoutes(bird) }), { what: 'routes dropped', timeoutMs: 10000 });
  const p = await bird.protocol('ebs');
  t.false(p.neighborGracefulRestartActive);
  t.regex(p.lastError ?? p.info, /de-?configured|Cease/i);
});
