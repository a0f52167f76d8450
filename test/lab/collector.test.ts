// The lab collector against real senders on loopback: BIRD 2 over TCP MD5
// (RFC 2385) with IPv4 and MP-BGP IPv6 routes (RFC 4760), withdrawals,
// graceful restart as the Receiving Speaker (RFC 4724 §4.2), GoBGP, and our
// own Speaker with 10,000 routes.

import test, { type ExecutionContext } from 'ava';
import bunyan from 'bunyan';
import type net from 'node:net';
import { dial } from '../../src/bgp/transport.js';
import { Framer, decodeOpen, encodeKeepalive, encodeOpen, encodeUpdate, parsePrefix, type CodecContext } from '../../src/bgp/wire/index.js';
import { Collector, type CollectedRoute, type CollectorPeer } from '../../src/lab/index.js';
import { Speaker } from '../../src/bgp/speaker.js';
import { freePort, requirePeer, startBird, startGobgp, testWithPeer, type BirdOptions, type BirdRouteSpec } from '../peers/index.js';

// COLLECTOR_TEST_LOG=debug shows the collector's log on stderr.
const log = bunyan.createLogger({ name: 'collector-test', level: (process.env.COLLECTOR_TEST_LOG ?? 'fatal') as bunyan.LogLevelString });

async function startCollector(t: { teardown(fn: () => Promise<void>): void }, peers: CollectorPeer[], holdTime?: number): Promise<Collector> {
  const c = await Collector.start({ address: '127.0.0.1', port: 0, localAs: 65001, routerId: '127.0.0.1', peers, log, holdTime });
  t.teardown(() => c.close());
  return c;
}

function byPrefix(c: Collector): Map<string, CollectedRoute> {
  return new Map(c.routes().map((r) => [r.prefix, r]));
}

function birdOptions(birdAddress: string, birdPort: number, collectorPort: number, routes: BirdRouteSpec[], extra: { password?: string; gracefulRestart?: boolean } = {}): BirdOptions {
  return {
    routerId: birdAddress,
    localAs: 65002,
    listen: { address: birdAddress, port: birdPort },
    neighbors: [
      {
        name: 'collector',
        address: '127.0.0.1',
        port: collectorPort,
        as: 65001,
        ipv4: true,
        ipv6: true,
        exportRoutes: routes,
        ...(extra.password !== undefined ? { password: extra.password } : {}),
        ...(extra.gracefulRestart ? { gracefulRestart: true, grTime: 120 } : {}),
      },
    ],
  };
}

const birdRoutes: BirdRouteSpec[] = [
  { prefix: '10.77.1.0/24', nextHop: '192.0.2.11', origin: 'egp', med: 7, communities: [[65000, 1]], asPathPrepend: [65100] },
  { prefix: '10.77.2.0/24', nextHop: '192.0.2.12' },
  { prefix: '10.77.0.0/16', nextHop: '192.0.2.13', origin: 'incomplete' },
  { prefix: '2001:db8:77::/48', nextHop: '2001:db8::11' },
];

testWithPeer('bird')('BIRD over TCP MD5 gives the collector its exact IPv4 and IPv6 routes, and a route BIRD drops is withdrawn', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const c = await startCollector(t, [{ address: '127.0.77.2', as: 65002, md5Key: 'lab secret 1' }]);
  const opts = birdOptions('127.0.77.2', await freePort(), c.address().port, birdRoutes, { password: 'lab secret 1' });
  const bird = await startBird(opts);
  t.teardown(() => bird.stop());

  // BIRD without graceful restart sends no End-of-RIB, so wait for the count.
  await c.waitFor((x) => x.routeCount() === 4, 20000, 'four routes from BIRD');
  const routes = c.routes();
  t.deepEqual(
    routes.map((r) => r.prefix),
    ['10.77.0.0/16', '10.77.1.0/24', '10.77.2.0/24', '2001:db8:77::/48'],
    'sorted numerically, IPv4 first',
  );
  const r = byPrefix(c);
  t.like(r.get('10.77.1.0/24'), { peer: '127.0.77.2', nextHop: '192.0.2.11', asPath: [65002, 65100], origin: 'EGP', med: 7, communities: ['65000:1'] });
  t.like(r.get('10.77.2.0/24'), { nextHop: '192.0.2.12', asPath: [65002], origin: 'IGP' });
  t.like(r.get('10.77.0.0/16'), { nextHop: '192.0.2.13', asPath: [65002], origin: 'INCOMPLETE' });
  t.like(r.get('2001:db8:77::/48'), { nextHop: '2001:db8::11', asPath: [65002], origin: 'IGP' });
  t.true(routes.every((x) => x.stale === undefined));

  const s = c.sessions()[0];
  t.like(s, { peer: '127.0.77.2', peerAs: 65002, state: 'Established', routerId: '127.0.77.2', receivedPrefixes: 4 });
  t.true(s.capabilities.includes('four-octet-as'), s.capabilities.join());
  t.true(s.capabilities.includes('multiprotocol-ipv6'), s.capabilities.join());
  const birdSide = await bird.protocol('collector');
  t.is(birdSide.bgpState, 'Established');

  await bird.reconfigure(birdOptions('127.0.77.2', opts.listen.port, c.address().port, birdRoutes.filter((x) => x.prefix !== '10.77.2.0/24'), { password: 'lab secret 1' }));
  await c.waitFor((x) => !byPrefix(x).has('10.77.2.0/24'), 15000, 'the withdrawal of 10.77.2.0/24');
  t.deepEqual([...byPrefix(c).keys()], ['10.77.0.0/16', '10.77.1.0/24', '2001:db8:77::/48']);
  t.is(c.sessions()[0].state, 'Established', 'a withdrawal does not reset the session');
});

testWithPeer('bird')('BIRD with a different MD5 key never gets a session with the collector', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const c = await startCollector(t, [{ address: '127.0.77.3', as: 65002, md5Key: 'the right key' }]);
  let established = 0;
  c.on('established', () => established++);
  const bird = await startBird(birdOptions('127.0.77.3', await freePort(), c.address().port, birdRoutes, { password: 'a wrong key' }));
  t.teardown(() => bird.stop());
  // BIRD retries every 2 s (connect retry time in the harness): several attempts fit in 6 s.
  await new Promise((r) => setTimeout(r, 6000));
  t.is(established, 0);
  t.is(c.sessions()[0].state, 'Idle');
  t.is(c.routeCount(), 0);
  t.not((await bird.protocol('collector')).bgpState, 'Established');
});

testWithPeer('bird')('BIRD killed with graceful restart leaves stale routes that End-of-RIB after its restart refreshes or removes', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const c = await startCollector(t, [{ address: '127.0.77.4', as: 65002, md5Key: 'gr key' }]);
  const birdPort = await freePort();
  const all = birdOptions('127.0.77.4', birdPort, c.address().port, birdRoutes, { password: 'gr key', gracefulRestart: true });
  const first = await startBird(all);
  t.teardown(() => first.stop());
  await c.waitFor((x) => x.routeCount() === 4 && x.sessions()[0].endOfRib.length === 2, 20000, 'four routes from BIRD');
  const grBefore = c.sessions()[0].gracefulRestart;
  t.is(grBefore?.restartTime, 120);

  await first.kill();
  await c.waitFor((x) => x.sessions()[0].state === 'Idle', 10000, 'the session to drop');
  const stale = c.routes();
  t.is(stale.length, 4, 'routes kept');
  t.true(stale.every((r) => r.stale === true), 'all marked stale');
  t.is(c.sessions()[0].receivedPrefixes, 4);

  // Restarted without 10.77.2.0/24: that one must survive until End-of-RIB, then go.
  const fewer = birdOptions('127.0.77.4', birdPort, c.address().port, birdRoutes.filter((x) => x.prefix !== '10.77.2.0/24'), { password: 'gr key', gracefulRestart: true });
  let staleAtEstablished: boolean | undefined;
  c.once('established', () => {
    staleAtEstablished = byPrefix(c).get('10.77.2.0/24')?.stale;
  });
  const second = await startBird(fewer);
  t.teardown(() => second.stop());
  await c.waitFor((x) => x.sessions()[0].endOfRib.length === 2, 30000, 'End-of-RIB for both families after the restart');
  t.true(staleAtEstablished, 'the dropped route was still held, stale, when the session came back');
  const after = c.routes();
  t.deepEqual(after.map((r) => r.prefix), ['10.77.0.0/16', '10.77.1.0/24', '2001:db8:77::/48']);
  t.true(after.every((r) => r.stale === undefined), 'refreshed routes are no longer stale');
  t.like(byPrefix(c).get('10.77.1.0/24'), { nextHop: '192.0.2.11', asPath: [65002, 65100] });
});

testWithPeer('gobgp')('GoBGP dialing the collector delivers its IPv4 and IPv6 routes', async (t) => {
  if (!requirePeer(t, 'gobgp')) return;
  const c = await startCollector(t, [{ address: '127.0.77.5', as: 65003 }]);
  const gobgp = await startGobgp({
    routerId: '127.0.77.5',
    localAs: 65003,
    listenPort: await freePort(),
    listenAddresses: ['127.0.77.5'],
    neighbors: [{ address: '127.0.0.1', as: 65001, port: c.address().port, passive: false, localAddress: '127.0.77.5', ipv4: true, ipv6: true }],
  });
  t.teardown(() => gobgp.stop());
  await gobgp.addRoute('10.77.5.0/24', { nextHop: '192.0.2.50', origin: 'igp', med: 3 });
  await gobgp.addRoute('2001:db8:75::/48', { nextHop: '2001:db8::50', origin: 'egp' });
  // GoBGP waits several seconds before its first connect.
  await c.waitFor((x) => x.routeCount() === 2, 40000, 'two routes from GoBGP');
  const r = byPrefix(c);
  t.like(r.get('10.77.5.0/24'), { peer: '127.0.77.5', asPath: [65003], origin: 'IGP' });
  t.like(r.get('2001:db8:75::/48'), { peer: '127.0.77.5', asPath: [65003], origin: 'EGP' });
  // GoBGP passes a next hop set on the route through unchanged (third party, RFC 4271 §5.1.3).
  t.is(r.get('10.77.5.0/24')?.nextHop, '192.0.2.50');
  t.is(r.get('10.77.5.0/24')?.med, 3);
  t.is(r.get('2001:db8:75::/48')?.nextHop, '2001:db8::50');
  t.is(c.sessions()[0].state, 'Established');
  t.is((await gobgp.neighbor('127.0.0.1'))?.state, 'ESTABLISHED');
});

test('our Speaker sends 10,000 routes over MD5 and every one arrives with its next hop', async (t) => {
  const c = await startCollector(t, [{ address: '127.0.77.6', as: 65010, md5Key: 'speaker key' }]);
  const routes: { prefix: string; nextHop: string }[] = [];
  for (let i = 0; i < 10000; i++) {
    routes.push({ prefix: `10.${100 + (i >> 8)}.${i & 0xff}.0/24`, nextHop: `192.0.2.${1 + (i % 200)}` });
  }
  const speaker = new Speaker({ log });
  t.teardown(() => speaker.stop());
  speaker.sync([
    { name: 'lab', peerAddress: '127.0.0.1', peerPort: c.address().port, localAddress: '127.0.77.6', localAs: 65010, peerAs: 65001, routerId: '127.0.77.6', md5Key: 'speaker key', routes },
  ]);
  await c.waitFor((x) => x.routeCount() === 10000 && x.sessions()[0].endOfRib.includes('ipv4'), 30000, '10,000 routes from the Speaker');
  const got = byPrefix(c);
  let wrong = 0;
  for (const r of routes) {
    const g = got.get(r.prefix);
    if (g?.nextHop !== r.nextHop || g.asPath.join() !== '65010' || g.origin !== 'IGP') wrong++;
  }
  t.is(wrong, 0);
  t.is(got.size, 10000);
});

// Hand-written peers: our codec on a raw TCP connection, so each message the
// collector answers with can be checked on the wire.

interface RawPeer {
  socket: net.Socket;
  /** The next message of this type; earlier ones of other types are skipped. */
  next(type: number, timeoutMs?: number): Promise<{ type: number; body: Uint8Array }>;
}

async function rawPeer(t: ExecutionContext, port: number, localAddress: string): Promise<RawPeer> {
  const socket = await dial({ host: '127.0.0.1', port, localAddress, timeoutMs: 3000 });
  t.teardown(() => void socket.destroy());
  const framer = new Framer(65535);
  const queue: { type: number; body: Uint8Array }[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    framer.push(chunk);
    for (let f = framer.next(); f !== null; f = framer.next()) queue.push({ type: f.type, body: new Uint8Array(f.body) });
    wake?.();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => wake?.());
  return {
    socket,
    async next(type, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex((m) => m.type === type);
        if (i >= 0) return queue.splice(0, i + 1)[i];
        if (Date.now() > deadline || socket.destroyed) throw new Error(`no message of type ${type} arrived`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
    },
  };
}

function openFrom(asn: number, routerId: string): Buffer {
  return encodeOpen({
    version: 4,
    myAs: asn,
    holdTime: 90,
    bgpIdentifier: routerId,
    capabilities: [{ code: 1, afi: 1, safi: 1 }, { code: 1, afi: 2, safi: 1 }, { code: 65, asn }],
  });
}

const AS4: CodecContext = { as4: true, extendedMessage: false };

function announce(prefix: string, nextHop: string, asPath: number[]): Buffer {
  return encodeUpdate({ withdrawn: [], attributes: { origin: 0, asPath: [{ type: 2, asns: asPath }], nextHop }, nlri: [parsePrefix(prefix)] }, AS4);
}

function establishedRawPeer(t: ExecutionContext, c: Collector, localAddress: string, asn: number): Promise<RawPeer> {
  return establishedRawPeerAt(t, c, localAddress, asn, 0);
}

test('a peer that claims the wrong AS gets OPEN Message Error / Bad Peer AS after our OPEN', async (t) => {
  const c = await startCollector(t, [{ address: '127.0.77.20', as: 65020 }]);
  const p = await rawPeer(t, c.address().port, '127.0.77.20');
  p.socket.write(openFrom(65099, '127.0.77.20'));
  const open = decodeOpen((await p.next(1)).body);
  t.is(open.myAs, 65001);
  t.is(open.bgpIdentifier, '127.0.0.1');
  const gr = open.capabilities.find((x) => x.code === 64);
  t.like(gr, { restartTime: 120, restartState: false });
  t.true(gr?.code === 64 && gr.families.length === 2 && gr.families.every((f) => !f.forwarding), 'receiver only: no forwarding bits');
  const n = (await p.next(3)).body;
  t.deepEqual([n[0], n[1]], [2, 2]);
  await c.waitFor((x) => x.sessions()[0].lastError !== undefined, 3000, 'the error in the session table');
  t.regex(c.sessions()[0].lastError!, /Bad Peer AS/);
  t.is(c.sessions()[0].state, 'Idle');
});

test('a second connection from an established peer gets Cease / Connection Rejected and the first keeps its routes', async (t) => {
  const c = await startCollector(t, [{ address: '127.0.77.21', as: 65021 }]);
  const first = await establishedRawPeer(t, c, '127.0.77.21', 65021);
  first.socket.write(announce('10.21.0.0/24', '192.0.2.21', [65021, 64512]));
  await c.waitFor((x) => x.routeCount() === 1, 3000, 'one route');
  const second = await rawPeer(t, c.address().port, '127.0.77.21');
  const n = (await second.next(3)).body;
  t.deepEqual([n[0], n[1]], [6, 5]);
  t.is(c.sessions()[0].state, 'Established');
  t.like(c.routes()[0], { prefix: '10.21.0.0/24', nextHop: '192.0.2.21', asPath: [65021, 64512], origin: 'IGP' });
});

test('an UPDATE with a missing AS_PATH withdraws its prefix (RFC 7606) and keeps the session', async (t) => {
  const c = await startCollector(t, [{ address: '127.0.77.22', as: 65022 }]);
  const p = await establishedRawPeer(t, c, '127.0.77.22', 65022);
  p.socket.write(announce('10.22.0.0/24', '192.0.2.22', [65022]));
  p.socket.write(announce('10.22.1.0/24', '192.0.2.22', [65022]));
  await c.waitFor((x) => x.routeCount() === 2, 3000, 'two routes');
  p.socket.write(encodeUpdate({ withdrawn: [], attributes: { origin: 0, nextHop: '192.0.2.23' }, nlri: [parsePrefix('10.22.0.0/24')] }, AS4));
  await c.waitFor((x) => x.routeCount() === 1, 3000, 'the treat-as-withdraw');
  t.deepEqual(c.routes().map((r) => r.prefix), ['10.22.1.0/24']);
  t.is(c.sessions()[0].state, 'Established');
});

test('a malformed UPDATE gets the codec NOTIFICATION and the peer routes are dropped', async (t) => {
  const c = await startCollector(t, [{ address: '127.0.77.23', as: 65023 }]);
  const p = await establishedRawPeer(t, c, '127.0.77.23', 65023);
  p.socket.write(announce('10.23.0.0/24', '192.0.2.23', [65023]));
  await c.waitFor((x) => x.routeCount() === 1, 3000, 'one route');
  const down = new Promise<string>((resolve) => c.once('down', (_peer: string, reason: string) => resolve(reason)));
  // Total Path Attribute Length 200 overruns the 4-octet body: RFC 4271 §6.3 Malformed Attribute List.
  const bad = Buffer.from(announce('10.23.1.0/24', '192.0.2.23', [65023]));
  bad.writeUInt16BE(200, 21);
  p.socket.write(bad);
  const n = (await p.next(3)).body;
  t.deepEqual([n[0], n[1]], [3, 1]);
  t.regex(await down, /UPDATE Message Error \/ Malformed Attribute List/);
  t.is(c.routeCount(), 0);
});

test('close() ends sessions with Cease / Administrative Shutdown', async (t) => {
  const c = await startCollector(t, [{ address: '127.0.77.24', as: 65024 }]);
  const p = await establishedRawPeer(t, c, '127.0.77.24', 65024);
  const closing = c.close();
  const n = (await p.next(3)).body;
  t.deepEqual([n[0], n[1]], [6, 2]);
  p.socket.destroy();
  await closing;
  t.is(c.sessions()[0].state, 'Idle');
});

test('waitFor rejects naming what it waited for', async (t) => {
  const c = await startCollector(t, [{ address: '127.0.77.25', as: 65025 }]);
  await t.throwsAsync(c.waitFor((x) => x.routeCount() > 0, 200, 'a route that never comes'), { message: /timed out after 200 ms waiting for a route that never comes/ });
});

test('routes() sorts by prefix numerically (10.9 before 10.10, shorter first), then by peer', async (t) => {
  const c = await startCollector(t, [
    { address: '127.0.77.26', as: 65026 },
    { address: '127.0.77.27', as: 65027 },
  ]);
  const b = await establishedRawPeerAt(t, c, '127.0.77.27', 65027, 1);
  const a = await establishedRawPeerAt(t, c, '127.0.77.26', 65026, 0);
  for (const [peer, asn] of [[b, 65027], [a, 65026]] as const) {
    for (const prefix of ['10.10.0.0/24', '10.9.0.0/24', '9.0.0.0/8', '10.9.0.0/16']) peer.socket.write(announce(prefix, '192.0.2.1', [asn]));
  }
  await c.waitFor((x) => x.routeCount() === 8, 3000, 'eight routes');
  t.deepEqual(
    c.routes().map((r) => `${r.prefix} ${r.peer}`),
    ['9.0.0.0/8', '10.9.0.0/16', '10.9.0.0/24', '10.10.0.0/24'].flatMap((p) => [`${p} 127.0.77.26`, `${p} 127.0.77.27`]),
  );
});

async function establishedRawPeerAt(t: ExecutionContext, c: Collector, localAddress: string, asn: number, index: number): Promise<RawPeer> {
  const p = await rawPeer(t, c.address().port, localAddress);
  p.socket.write(openFrom(asn, localAddress));
  await p.next(1);
  p.socket.write(encodeKeepalive());
  await p.next(4);
  await c.waitFor((x) => x.sessions()[index].state === 'Established', 3000, `${localAddress} Established`);
  return p;
}
