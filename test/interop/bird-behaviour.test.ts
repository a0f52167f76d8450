// Protocol behaviour against a real BIRD 2 on loopback, beyond the routes:
// ROUTE-REFRESH answered with the whole table (RFC 2918), the max-prefix
// limit (RFC 4486 Cease subcode 1), a 100,000-route table written in a
// handful of socket writes, and connection collision resolution (RFC 4271
// §6.8) when BIRD dials us while we dial BIRD.

import { Writable } from 'node:stream';
import bunyan from 'bunyan';
import type net from 'node:net';
import { Speaker, type SessionEvent } from '../../src/bgp/index.js';
import { dial } from '../../src/bgp/transport.js';
import { silentLogger } from '../../src/log.js';
import { freePort, requirePeer, testWithPeer, waitFor } from '../peers/index.js';
import { birdPeer, specFor } from './util.js';

const birdTest = testWithPeer('bird');

function capturingLogger(): { log: bunyan; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { log: bunyan.createLogger({ name: 'test', level: 'debug', stream }), lines };
}

birdTest('a ROUTE-REFRESH from BIRD is answered with the whole table again', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const peer = await birdPeer(t);
  const { bird } = peer;
  const { log, lines } = capturingLogger();
  const speaker = new Speaker({ log });
  t.teardown(() => speaker.stop('deconfigure'));
  const routes = Array.from({ length: 50 }, (_, i) => ({ prefix: `10.250.${i}.0/24`, nextHop: '127.0.0.11' }));
  speaker.sync([specFor(peer, { routes })]);
  await bird.waitEstablished('ebs', 15000);
  await waitFor(async () => ((await bird.protocol('ebs')).routes?.imported ?? 0) === 50, { what: '50 routes imported' });
  const before = lines.filter((l) => String(l.msg).startsWith('ROUTE-REFRESH received')).length;
  await bird.birdc(['reload', 'in', 'ebs']);
  await waitFor(async () => ({ ok: lines.filter((l) => String(l.msg).startsWith('ROUTE-REFRESH received')).length > before, value: lines.length }), {
    what: 'our speaker answering the ROUTE-REFRESH',
  });
  await waitFor(async () => ((await bird.protocol('ebs')).routes?.imported ?? 0) === 50, { what: 'still 50 routes after the refresh' });
  t.is((await bird.protocol('ebs')).bgpState, 'Established');
  t.is(speaker.status()[0]!.establishedCount, 1, 'the refresh did not reset the session');
});

birdTest('more prefixes from the peer than maxPrefixes ends the session with Cease / Maximum Number of Prefixes Reached', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const peer = await birdPeer(t, {
    neighbor: { exportRoutes: Array.from({ length: 10 }, (_, i) => ({ prefix: `192.0.2.${i * 16}/28`, nextHop: '198.51.100.1' })) },
  });
  const { bird } = peer;
  const speaker = new Speaker({ log: silentLogger() });
  const events: SessionEvent[] = [];
  speaker.on('state', (e) => events.push(e));
  t.teardown(() => speaker.stop('deconfigure'));
  speaker.sync([specFor(peer, { maxPrefixes: 5 })]);
  await waitFor(async () => ({ ok: events.some((e) => e.error?.reason === 'MaxPrefixesExceeded'), value: events.map((e) => e.to) }), {
    what: 'the max-prefix limit to trip',
    timeoutMs: 15000,
  });
  const e = events.find((x) => x.error?.reason === 'MaxPrefixesExceeded')!;
  t.is(e.from, 'Established');
  t.regex(e.error!.message, /more than the limit of 5/);
  await waitFor(async () => ({ ok: /prefix/i.test((await bird.protocol('ebs')).lastError ?? ''), value: (await bird.protocol('ebs')).lastError }), {
    what: 'BIRD reporting the Cease it received',
    timeoutMs: 5000,
  });
  t.is(speaker.status()[0]!.lastError?.reason, 'MaxPrefixesExceeded', 'status keeps the reason');
});

birdTest('100,000 routes reach BIRD in a handful of socket writes', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const peer = await birdPeer(t);
  const { bird } = peer;
  let writes = 0;
  const counting = async (r: Parameters<typeof dial>[0]): Promise<net.Socket> => {
    const socket = await dial(r);
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    (socket as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      writes++;
      return write(...args);
    };
    return socket;
  };
  const speaker = new Speaker({ log: silentLogger(), dial: counting });
  t.teardown(() => speaker.stop('deconfigure'));
  const routes: { prefix: string; nextHop: string }[] = [];
  for (let i = 0; i < 100_000; i++) routes.push({ prefix: `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`, nextHop: '127.0.0.11' });
  speaker.sync([specFor(peer, { routes })]);
  await bird.waitEstablished('ebs', 15000);
  await waitFor(async () => ({ ok: ((await bird.protocol('ebs')).routes?.imported ?? 0) === 100_000, value: (await bird.protocol('ebs')).routes }), {
    what: '100,000 routes imported by BIRD',
    timeoutMs: 60000,
    intervalMs: 250,
  });
  t.is(speaker.status()[0]!.advertisedPrefixes, 100_000);
  // ~400 KB of UPDATEs in 256 KiB chunks, plus OPEN, KEEPALIVE and End-of-RIB.
  t.true(writes < 50, `${writes} socket writes for 100,000 routes`);
  t.log(`${writes} socket writes`);
});

birdTest('when BIRD dials us while we dial BIRD, collision detection leaves one Established session', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const ourPort = await freePort();
  // BIRD dials our listener (port = ourPort) and accepts on its own.
  const { bird, address: birdAddress, port: birdPort, local } = await birdPeer(t, { neighbor: { passive: false, port: ourPort } });
  const speaker = new Speaker({ log: silentLogger(), listen: { address: local, port: ourPort } });
  await speaker.start();
  t.teardown(() => speaker.stop('deconfigure'));
  speaker.sync([
    {
      name: 'p',
      peerAddress: birdAddress,
      peerPort: birdPort,
      localAddress: local,
      localAs: 65010,
      peerAs: 65001,
      routerId: local,
      routes: [{ prefix: '10.244.9.0/24', nextHop: '127.0.0.19' }],
    },
  ]);
  await bird.waitEstablished('ebs', 20000);
  await waitFor(async () => (await bird.routes()).some((r) => r.prefix === '10.244.9.0/24'), { what: 'the route at BIRD', timeoutMs: 10000 });
  // Stable: still one Established session a little later.
  await new Promise((r) => setTimeout(r, 1500));
  t.is((await bird.protocol('ebs')).bgpState, 'Established');
  t.is(speaker.status()[0]!.state, 'Established');
});
