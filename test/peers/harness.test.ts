// Proves the real-peer harness without our speaker: BIRD ↔ BIRD on loopback
// with TCP MD5 (RFC 2385), BIRD ↔ GoBGP on a namespace LAN with IPv4 and
// MP-BGP IPv6 routes (RFC 4760), and RFC 4724 graceful restart: after the
// sender is SIGKILLed, the receiver keeps its routes and marks them stale.
// Also checks the parsers on output captured from the real daemons.

import test, { type ExecutionContext } from 'ava';
import {
  createLan,
  freePort,
  parseBirdProtocol,
  parseBirdRoutes,
  parseGobgpNeighbors,
  parseGobgpRib,
  requirePeer,
  startBird,
  startGobgp,
  startFrr,
  startProcess,
  testWithPeer,
  uniqueName,
  waitFor,
  makeTempDir,
  removeDir,
  runOk,
} from './index.js';

const birdShowRouteAll = [
  'BIRD 2.0.12 ready.',
  'Table master4:',
  '10.1.0.0/24          unreachable [p1 00:47:21.205 from 127.0.0.1] * (100) [AS65001i]',
  '\tType: BGP univ',
  '\tBGP.origin: IGP',
  '\tBGP.as_path: 65001 65010',
  '\tBGP.next_hop: 192.0.2.77',
  '\tBGP.local_pref: 100',
  '                     unicast [p2 00:47:22.000] (100s) [AS65003?]',
  '\tvia 198.18.0.3 on eth0',
  '\tType: BGP univ',
  '\tBGP.origin: Incomplete',
  '\tBGP.as_path: 65003',
  '\tBGP.next_hop: 198.18.0.3',
  '\tBGP.med: 5',
  '\tBGP.local_pref: 100',
  '\tBGP.community: (65001,7) (65001,8)',
  '',
  'Table master6:',
  '2001:db8:1::/48      unreachable [p1 00:47:21.205 from 127.0.0.1] * (100) [AS65001i]',
  '\tType: BGP univ',
  '\tBGP.origin: IGP',
  '\tBGP.as_path: 65001',
  '\tBGP.next_hop: 2001:db8:18::1 fe80::1',
  '\tBGP.local_pref: 100',
  '',
].join('\n');

test('BIRD route parser reads prefix, next hop, AS path, origin, attributes and the LLGR stale flag', (t) => {
  const routes = parseBirdRoutes(birdShowRouteAll);
  t.is(routes.length, 3);
  const [a, b, c] = routes;
  t.like(a, { prefix: '10.1.0.0/24', nextHop: '192.0.2.77', origin: 'IGP', localPref: 100, primary: true, stale: false, fromProtocol: 'p1', from: '127.0.0.1', table: 'master4', dest: 'unreachable' });
  t.deepEqual(a.asPath, [65001, 65010]);
  t.like(b, { prefix: '10.1.0.0/24', nextHop: '198.18.0.3', origin: 'Incomplete', med: 5, primary: false, stale: true, fromProtocol: 'p2' });
  t.deepEqual(b.communities, ['65001:7', '65001:8']);
  t.like(c, { prefix: '2001:db8:1::/48', nextHop: '2001:db8:18::1', nextHopLinkLocal: 'fe80::1', table: 'master6' });
});

test('BIRD protocol parser reads states, last error and graceful-restart status', (t) => {
  const text = [
    'BIRD 2.0.12 ready.',
    'Name       Proto      Table      State  Since         Info',
    'p1         BGP        ---        start  00:47:22.991  Active        Socket: Connection closed',
    '  BGP state:          Active',
    '    Neighbor address: 127.0.0.1',
    '    Neighbor AS:      65001',
    '    Local AS:         65002',
    '    Neighbor graceful restart active',
    '    Connect delay:    3.803/5',
    '    Restart timer:    118.989/-',
    '    Last error:       Socket: Connection closed',
    '  Channel ipv4',
    '    State:          UP',
    '    Table:          master4',
    '    Routes:         2 imported, 1 exported, 2 preferred',
    '  Channel ipv6',
    '    State:          UP',
    '    Routes:         1 imported, 0 exported, 1 preferred',
    '',
  ].join('\n');
  const p = parseBirdProtocol(text, 'p1');
  t.truthy(p);
  t.like(p, {
    state: 'start',
    bgpState: 'Active',
    since: '00:47:22.991',
    info: 'Active Socket: Connection closed',
    lastError: 'Socket: Connection closed',
    neighborAs: 65001,
    localAs: 65002,
    neighborGracefulRestartActive: true,
    restartTimer: 118.989,
    routes: { imported: 3, exported: 1 },
  });
  t.is(p?.channels.ipv4.imported, 2);
  t.is(parseBirdProtocol(text, 'p2'), undefined);
});

test('GoBGP parsers read paths, stale flags, session state and the graceful-restart capability', (t) => {
  const rib = parseGobgpRib(
    '{"10.1.0.0/24":[{"nlri":{"prefix":"10.1.0.0/24"},"age":1795395014,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":2,"asns":[65001,65010]}]},{"type":3,"nexthop":"198.18.0.77"},{"type":8,"communities":[4259905543]}],"stale":true,"source-id":"10.0.0.1","neighbor-ip":"198.18.0.1"}],' +
      '"2001:db8:1::/48":[{"nlri":{"prefix":"2001:db8:1::/48"},"age":1,"best":true,"attrs":[{"type":1,"value":2},{"type":14,"nexthop":"2001:db8:18::77","afi":2,"safi":1,"value":[{"prefix":"2001:db8:1::/48"}]}],"stale":false}]}',
  );
  t.is(rib.length, 2);
  t.like(rib[0], { prefix: '10.1.0.0/24', nextHop: '198.18.0.77', origin: 'IGP', stale: true, best: true, neighborIp: '198.18.0.1' });
  t.deepEqual(rib[0].asPath, [65001, 65010]);
  t.deepEqual(rib[0].communities, ['65001:7']);
  t.like(rib[1], { prefix: '2001:db8:1::/48', nextHop: '2001:db8:18::77', origin: 'Incomplete', stale: false });
  t.deepEqual(parseGobgpRib(''), []);

  const [n] = parseGobgpNeighbors(
    '[{"conf":{"neighbor_address":"198.18.0.1","peer_asn":65001},"state":{"neighbor_address":"198.18.0.1","peer_asn":65001,"session_state":6,"router_id":"10.0.0.1",' +
      '"remote_cap":[{"type_url":"type.googleapis.com/apipb.GracefulRestartCapability","value":"EHgaBgoECAEQARoGCgQIAhAB"},{"type_url":"type.googleapis.com/apipb.FourOctetASNCapability","value":"COn7Aw=="}]},' +
      '"timers":{"state":{"negotiated_hold_time":90,"uptime":{"seconds":1795395014}}},' +
      '"afi_safis":[{"mp_graceful_restart":{"state":{"end_of_rib_received":true}},"state":{"family":{"afi":1,"safi":1},"received":2,"accepted":2}}]}]',
  );
  t.like(n, { address: '198.18.0.1', peerAs: 65001, state: 'ESTABLISHED', holdTime: 90, routerId: '10.0.0.1' });
  t.deepEqual(n.accepted, { ipv4: 2, ipv6: 0 });
  t.true(n.endOfRibReceived.ipv4);
  t.is(n.remoteCapabilities.fourOctetAs, 65001);
  t.like(n.remoteCapabilities.gracefulRestart, { time: 120, restartState: false });
  t.deepEqual(
    n.remoteCapabilities.gracefulRestart?.families.map((f) => [f.afi, f.safi, f.forwarding]),
    [[1, 1, false], [2, 1, false]],
  );
});

test('freePort gives distinct usable ports and uniqueName never repeats', async (t) => {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  for (const p of ports) t.true(p > 0 && p < 65536);
  const names = new Set(Array.from({ length: 50 }, () => uniqueName('x')));
  t.is(names.size, 50);
});

test('waitFor names what it waited for and the last value it saw', async (t) => {
  let n = 0;
  const err = await t.throwsAsync(
    waitFor(async () => ({ ok: false, value: `tries=${++n}` }), { what: 'the moon', timeoutMs: 200, intervalMs: 20 }),
  );
  t.regex(err?.message ?? '', /the moon/);
  t.regex(err?.message ?? '', new RegExp(`tries=${n}`));
});

test('a started process is stopped by PID and its output lands in its log file', async (t) => {
  const dir = await makeTempDir('ebgp-proc');
  t.teardown(() => removeDir(dir));
  const p = startProcess({ argv: [process.execPath, '-e', 'console.log("hello " + process.pid); setInterval(() => {}, 1000)'], dir });
  t.teardown(() => p.kill());
  await waitFor(async () => p.log().includes(`hello ${p.pid}`), { what: 'child output', timeoutMs: 5000 });
  t.true(p.isRunning());
  await p.stop(500);
  t.false(p.isRunning());
  t.throws(() => process.kill(p.pid, 0));
});

testWithPeer('bird')('BIRD sends IPv4 and IPv6 routes to BIRD over loopback with MD5 and keeps them stale after a SIGKILL', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const [portA, portB] = [await freePort(), await freePort()];
  const sender = await startBird({
    routerId: '10.255.0.1',
    localAs: 65001,
    listen: { address: '127.0.0.1', port: portA },
    neighbors: [
      {
        name: 'toB',
        address: '127.0.0.2',
        port: portB,
        as: 65002,
        password: 'md5-secret',
        gracefulRestart: true,
        ipv6: true,
        exportRoutes: [
          { prefix: '10.1.0.0/24', nextHop: '192.0.2.10' },
          { prefix: '10.2.0.0/24', nextHop: '127.0.0.1', med: 7, communities: [[65001, 42]] },
          { prefix: '2001:db8:100::/48', nextHop: '2001:db8::10' },
        ],
      },
    ],
  });
  t.teardown(() => sender.stop());
  const receiver = await startBird({
    routerId: '10.255.0.2',
    localAs: 65002,
    listen: { address: '127.0.0.2', port: portB },
    neighbors: [{ name: 'toA', address: '127.0.0.1', port: portA, as: 65001, password: 'md5-secret', gracefulRestart: true, ipv6: true, passive: true }],
  });
  t.teardown(() => receiver.stop());

  await receiver.waitEstablished('toA', 20000);
  await waitFor(async () => {
    const r = await receiver.routes();
    return { ok: r.length === 3, value: r.map((x) => x.prefix) };
  }, { what: 'three routes at the receiving BIRD', timeoutMs: 10000 });
  const routes = await receiver.routes();
  const by = new Map(routes.map((r) => [r.prefix, r]));
  t.like(by.get('10.1.0.0/24'), { nextHop: '192.0.2.10', origin: 'IGP', stale: false, fromProtocol: 'toA' });
  t.deepEqual(by.get('10.1.0.0/24')?.asPath, [65001]);
  t.like(by.get('10.2.0.0/24'), { nextHop: '127.0.0.1', med: 7 });
  t.deepEqual(by.get('10.2.0.0/24')?.communities, ['65001:42']);
  t.like(by.get('2001:db8:100::/48'), { nextHop: '2001:db8::10', table: 'master6' });

  await sender.kill();
  await waitFor(async () => {
    const p = await receiver.protocol('toA');
    return { ok: p.neighborGracefulRestartActive, value: p.info };
  }, { what: 'receiver in graceful restart for toA', timeoutMs: 10000 });
  const stale = await receiver.routes();
  t.deepEqual(stale.map((r) => r.prefix).sort(), ['10.1.0.0/24', '10.2.0.0/24', '2001:db8:100::/48']);
  t.true(stale.every((r) => r.stale));
  const p = await receiver.protocol('toA');
  t.not(p.bgpState, 'Established');
  t.true((p.restartTimer ?? 0) > 0 && (p.restartTimer ?? 0) <= 120);
});

testWithPeer('bird')('BIRD reports no session when the MD5 passwords differ', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const [portA, portB] = [await freePort(), await freePort()];
  const a = await startBird({
    routerId: '10.255.1.1',
    localAs: 65001,
    listen: { address: '127.0.0.1', port: portA },
    neighbors: [{ name: 'toB', address: '127.0.0.3', port: portB, as: 65002, password: 'one' }],
  });
  t.teardown(() => a.stop());
  const b = await startBird({
    routerId: '10.255.1.2',
    localAs: 65002,
    listen: { address: '127.0.0.3', port: portB },
    neighbors: [{ name: 'toA', address: '127.0.0.1', port: portA, as: 65001, password: 'two' }],
  });
  t.teardown(() => b.stop());
  await t.throwsAsync(b.waitEstablished('toA', 4000), { message: /toA Established/ });
  // Fixing the password with a reconfigure brings the session up.
  await b.reconfigure({ ...b.options, neighbors: [{ ...b.options.neighbors[0], password: 'one' }] });
  await b.waitEstablished('toA', 20000);
  t.is((await a.protocol('toB')).bgpState, 'Established');
});

testWithPeer('bird', 'gobgp', 'netns')('BIRD sends routes to GoBGP on a namespace LAN and GoBGP marks them stale after BIRD is SIGKILLed', async (t) => {
  if (!requirePeer(t, 'bird', 'gobgp', 'netns')) return;
  const lan = await createLan({ hosts: ['bird', 'gobgp'] });
  t.teardown(() => lan.destroy());
  const hb = lan.host('bird');
  const hg = lan.host('gobgp');

  const gobgp = await startGobgp({
    netns: hg.ns,
    routerId: '10.255.2.2',
    localAs: 65002,
    listenPort: 179,
    listenAddresses: [hg.ipv4],
    neighbors: [{ address: hb.ipv4, as: 65001, password: 'lan-secret', gracefulRestart: true, grTime: 120, ipv4: true, ipv6: true }],
  });
  t.teardown(() => gobgp.stop());
  const bird = await startBird({
    netns: hb.ns,
    routerId: '10.255.2.1',
    localAs: 65001,
    listen: { address: hb.ipv4, port: 179 },
    neighbors: [
      {
        name: 'gobgp',
        address: hg.ipv4,
        as: 65002,
        password: 'lan-secret',
        gracefulRestart: true,
        ipv6: true,
        nextHopAddress6: hb.ipv6,
        exportRoutes: [
          { prefix: '10.10.0.0/24', nextHop: '198.18.0.77' },
          { prefix: '10.10.1.0/24' },
          { prefix: '2001:db8:aa::/64', nextHop: '2001:db8:18::77' },
        ],
      },
    ],
  });
  t.teardown(() => bird.stop());

  const n = await gobgp.waitEstablished(hb.ipv4, 30000);
  t.true(n.remoteCapabilities.names.includes('GracefulRestartCapability'));
  t.is(n.remoteCapabilities.gracefulRestart?.time, 120);
  await waitFor(async () => {
    const [v4, v6] = [await gobgp.rib('ipv4'), await gobgp.rib('ipv6')];
    return { ok: v4.length === 2 && v6.length === 1, value: [...v4, ...v6].map((p) => p.prefix) };
  }, { what: 'GoBGP rib with 2 IPv4 and 1 IPv6 routes', timeoutMs: 10000 });
  const v4 = new Map((await gobgp.rib('ipv4')).map((p) => [p.prefix, p]));
  t.like(v4.get('10.10.0.0/24'), { nextHop: '198.18.0.77', origin: 'IGP', stale: false });
  t.deepEqual(v4.get('10.10.0.0/24')?.asPath, [65001]);
  // No next hop in the filter: eBGP next hop self = BIRD's LAN address.
  t.like(v4.get('10.10.1.0/24'), { nextHop: hb.ipv4 });
  const [v6] = await gobgp.rib('ipv6');
  t.like(v6, { prefix: '2001:db8:aa::/64', nextHop: '2001:db8:18::77', stale: false });
  t.deepEqual((await gobgp.adjIn(hb.ipv4, 'ipv4')).map((p) => p.prefix).sort(), ['10.10.0.0/24', '10.10.1.0/24']);

  await bird.kill();
  await waitFor(async () => {
    const paths = [...(await gobgp.rib('ipv4')), ...(await gobgp.rib('ipv6'))];
    return { ok: paths.length === 3 && paths.every((p) => p.stale), value: paths.map((p) => `${p.prefix} stale=${p.stale}`) };
  }, { what: 'GoBGP keeping all three routes as stale', timeoutMs: 10000 });
  t.not((await gobgp.neighbor(hb.ipv4))?.state, 'ESTABLISHED');
});

testWithPeer('bird', 'frr', 'netns')('BIRD sends routes to FRR on a namespace LAN and FRR marks them stale after BIRD is SIGKILLed', async (t) => {
  if (!requirePeer(t, 'bird', 'frr', 'netns')) return;
  const lan = await createLan({ hosts: ['bird', 'frr'] });
  t.teardown(() => lan.destroy());
  const hb = lan.host('bird');
  const hf = lan.host('frr');
  const frr = await startFrr({
    netns: hf.ns,
    routerId: '10.255.3.2',
    localAs: 65003,
    listenAddress: hf.ipv4,
    gracefulRestart: true,
    networks: ['10.30.0.0/24'],
    neighbors: [{ address: hb.ipv4, as: 65001, password: 'frr-secret', ipv4: true, ipv6: true }],
  });
  t.teardown(() => frr.stop());
  const bird = await startBird({
    netns: hb.ns,
    routerId: '10.255.3.1',
    localAs: 65001,
    listen: { address: hb.ipv4, port: 179 },
    neighbors: [
      {
        name: 'frr',
        address: hf.ipv4,
        as: 65003,
        password: 'frr-secret',
        gracefulRestart: true,
        ipv6: true,
        nextHopAddress6: hb.ipv6,
        exportRoutes: [
          { prefix: '10.20.0.0/24', nextHop: '198.18.0.99', med: 3 },
          { prefix: '2001:db8:bb::/64', nextHop: '2001:db8:18::99' },
        ],
      },
    ],
  });
  t.teardown(() => bird.stop());

  const n = await frr.waitEstablished(hb.ipv4, 30000);
  t.is(n.remoteRestartTime, 120);
  await waitFor(async () => {
    const paths = [...(await frr.adjIn(hb.ipv4, 'ipv4')), ...(await frr.adjIn(hb.ipv4, 'ipv6'))];
    return { ok: paths.length === 2, value: paths.map((p) => p.prefix) };
  }, { what: 'FRR with one IPv4 and one IPv6 route from BIRD', timeoutMs: 10000 });
  const [v4] = await frr.adjIn(hb.ipv4, 'ipv4');
  t.like(v4, { prefix: '10.20.0.0/24', nextHop: '198.18.0.99', med: 3, origin: 'IGP', valid: true, stale: false });
  t.deepEqual(v4.asPath, [65001]);
  const [v6] = await frr.adjIn(hb.ipv4, 'ipv6');
  t.like(v6, { prefix: '2001:db8:bb::/64', nextHop: '2001:db8:18::99' });
  // FRR's own network reaches BIRD with FRR's LAN address as next hop.
  await waitFor(async () => (await bird.routes('master4')).some((r) => r.prefix === '10.30.0.0/24' && r.nextHop === hf.ipv4), {
    what: 'BIRD learning 10.30.0.0/24 from FRR',
    timeoutMs: 10000,
  });

  await bird.kill();
  await waitFor(async () => {
    const paths = (await frr.rib('ipv4')).filter((p) => p.peerId === hb.ipv4);
    return { ok: paths.length === 1 && paths.every((p) => p.stale), value: paths.map((p) => `${p.prefix} stale=${p.stale}`) };
  }, { what: 'FRR keeping the IPv4 route as stale', timeoutMs: 10000 });
  t.true((await frr.rib('ipv6')).every((p) => p.stale));
});

// A test worker that dies (uncaught error, process.exit, or SIGKILL from an
// ava timeout) must not leave daemons or namespaces behind.
async function childScript(t: ExecutionContext, body: string): Promise<ReturnType<typeof startProcess>> {
  const dir = await makeTempDir('ebgp-leak');
  t.teardown(() => removeDir(dir));
  const procUrl = new URL('./proc.ts', import.meta.url).href;
  const netnsUrl = new URL('./netns.ts', import.meta.url).href;
  const script = `import { startProcess } from ${JSON.stringify(procUrl)};\nimport { createLan } from ${JSON.stringify(netnsUrl)};\nconst dir = ${JSON.stringify(dir)};\n${body}`;
  // cwd = the repo, so `--import=tsx` resolves from its node_modules.
  const proc = startProcess({ argv: [process.execPath, '--import=tsx', '--input-type=module', '-e', script], dir, logName: 'child.log', cwd: process.cwd() });
  t.teardown(() => proc.kill());
  return proc;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('a daemon started by a test process dies when that process is SIGKILLed', async (t) => {
  const proc = await childScript(
    t,
    `const p = startProcess({ argv: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], dir });\nconsole.log('grandchild ' + p.pid);\nsetInterval(() => {}, 1000);`,
  );
  let grandchild = 0;
  await waitFor(async () => {
    grandchild = Number(/grandchild (\d+)/.exec(proc.log())?.[1] ?? 0);
    return { ok: grandchild > 0, value: proc.log() };
  }, { what: 'the child to start a grandchild', timeoutMs: 15000 });
  t.true(alive(grandchild));
  await proc.kill('SIGKILL');
  await waitFor(async () => !alive(grandchild), { what: `grandchild ${grandchild} to die with its parent`, timeoutMs: 5000 });
  t.false(alive(grandchild));
});

testWithPeer('netns')('namespaces made by a test process are deleted when it exits without destroy()', async (t) => {
  if (!requirePeer(t, 'netns')) return;
  const proc = await childScript(t, `const lan = await createLan({ hosts: ['a', 'b'], verify: false });\nconsole.log('ns ' + lan.hosts.map((h) => h.ns).join(' ') + ' ' + lan.bridgeNs);\nprocess.exit(3);`);
  const { code } = await proc.exited;
  t.is(code, 3, proc.log());
  const names = /ns (.+)/.exec(proc.log())?.[1].trim().split(' ') ?? [];
  t.is(names.length, 3);
  const list = await runOk(['ip', 'netns', 'list']);
  for (const ns of names) t.false(list.split('\n').some((l) => l.split(' ')[0] === ns), `${ns} still exists`);
});
