// `bgp-speaker standalone` as a subprocess against real BIRD 2 daemons on
// loopback: routes follow reloads of the YAML file (file change and SIGHUP)
// as UPDATEs on the running session, never a session reset (BIRD's "since"
// and our Established count stay put); a broken object or unparsable YAML
// leaves everything running; a changed MD5 password (RFC 2385) restarts only
// that session; SIGTERM leaves BIRD holding our routes as stale (RFC 4724)
// and exits 0; `bgp-speaker status` prints the session table.

import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { AdminStatus } from '../../src/admin/types.js';
import { md5Supported } from '../../src/bgp/tcp-md5.js';
import { freePort, requirePeer, startBird, testWithPeer, waitFor, type BirdHandle, sameSessionSince } from '../peers/index.js';
import { runCli, startCli, type CliProcess } from './helpers.js';

const birdTest = testWithPeer('bird');

interface NodeDef {
  name: string;
  ip: string;
  cidr: string;
  lan?: string;
}

interface PeerDef {
  name: string;
  port: number;
  password?: string;
  peerAs?: number;
}

function peerYaml(p: PeerDef, speaker: string): string {
  return [
    'apiVersion: network.openyurt.io/v1alpha1',
    'kind: BGPPeer',
    `metadata: {name: ${p.name}}`,
    'spec:',
    `  localSpeakers: [${speaker}]`,
    '  localAsNumber: 65010',
    '  peerIP: 127.0.0.1',
    `  peerPort: ${p.port}`,
    `  peerAsNumber: ${p.peerAs ?? 65001}`,
    '  nodeSelector: lan=a',
    '  connectRetryTime: 2',
    ...(p.password !== undefined
      ? [
          '  authPassword:',
          `    secretKeyRef: {name: ${p.name}-secret, key: password}`,
          '---',
          'apiVersion: v1',
          'kind: Secret',
          `metadata: {name: ${p.name}-secret, namespace: kube-system}`,
          `stringData: {password: ${p.password}}`,
        ]
      : []),
  ].join('\n');
}

function nodeYaml(n: NodeDef): string {
  return [
    'apiVersion: v1',
    'kind: Node',
    `metadata: {name: ${n.name}, labels: {lan: ${n.lan ?? 'a'}}}`,
    `spec: {podCIDRs: [${n.cidr}]}`,
    `status: {addresses: [{type: InternalIP, address: ${n.ip}}], conditions: [{type: Ready, status: "True"}]}`,
  ].join('\n');
}

function fileText(peers: PeerDef[], speaker: string, nodes: NodeDef[], extra: string[] = []): string {
  return [...peers.map((p) => peerYaml(p, speaker)), ...nodes.map(nodeYaml), ...extra].join('\n---\n') + '\n';
}

/** Writes the file the way editors and ConfigMaps do: a new file renamed over the old one. */
async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

async function birdFor(t: ExecutionContext, name: string, port: number, nodeIp: string, password?: string): Promise<BirdHandle> {
  const bird = await startBird({
    routerId: '127.0.0.1',
    localAs: 65001,
    listen: { address: '127.0.0.1', port },
    neighbors: [
      { name, address: nodeIp, as: 65010, passive: true, gracefulRestart: true, grTime: 300, ...(password ? { password } : {}) },
    ],
  });
  t.teardown(() => bird.stop());
  return bird;
}

async function prefixes(bird: BirdHandle): Promise<string[]> {
  return (await bird.routes('master4')).map((r) => r.prefix).sort();
}

async function waitPrefixes(bird: BirdHandle, want: string[], what: string): Promise<void> {
  await waitFor(async () => {
    const got = await prefixes(bird);
    return { ok: got.join() === [...want].sort().join(), value: got };
  }, { what, timeoutMs: 20000, intervalMs: 100 });
}

async function adminStatus(port: number): Promise<AdminStatus> {
  const res = await fetch(`http://127.0.0.1:${port}/status`);
  return (await res.json()) as AdminStatus;
}

function session(s: AdminStatus, name: string) {
  const x = s.sessions.find((y) => y.name === name);
  if (!x) throw new Error(`no session ${name} in ${JSON.stringify(s)}`);
  return x;
}

async function startSpeaker(t: ExecutionContext, file: string, node: string, adminPort: number): Promise<CliProcess> {
  const p = startCli(['standalone', '--config', file, '--node-name', node, '--admin-address', `127.0.0.1:${adminPort}`, '--log-level', 'debug']);
  t.teardown(() => p.stop());
  await waitFor(async () => {
    if (p.child.exitCode !== null) throw new Error(`standalone exited ${p.child.exitCode}: ${p.stderr()}`);
    return (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status === 200;
  }, { what: 'standalone ready', timeoutMs: 60000, intervalMs: 100 });
  return p;
}

birdTest('reloads add and withdraw routes without a session reset, bad input is skipped, SIGTERM leaves stale routes', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const dir = await mkdtemp(join(tmpdir(), 'standalone-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'objects.yaml');
  const [birdPort, adminPort] = [await freePort(), await freePort()];
  const peer: PeerDef = { name: 'switch', port: birdPort };
  const n1: NodeDef = { name: 'node-1', ip: '127.0.0.21', cidr: '10.244.1.0/24' };
  const n2: NodeDef = { name: 'node-2', ip: '127.0.0.22', cidr: '10.244.2.0/24' };
  const n3: NodeDef = { name: 'node-3', ip: '127.0.0.23', cidr: '10.244.3.0/24' };
  await writeFile(file, fileText([peer], 'node-1', [n1, n2]));
  const bird = await birdFor(t, 'ours', birdPort, n1.ip);
  const speaker = await startSpeaker(t, file, 'node-1', adminPort);

  // Start: the session comes up from node-1's InternalIP with both routes.
  const up = await bird.waitEstablished('ours');
  t.is(up.neighborAddress, n1.ip);
  t.is(up.neighborId, n1.ip);
  await waitPrefixes(bird, ['10.244.1.0/24', '10.244.2.0/24'], 'initial routes');
  const since = up.since;
  const ourSince = session(await adminStatus(adminPort), 'switch').since;
  const unchanged = async (step: string) => {
    const p = await bird.protocol('ours');
    t.is(p.bgpState, 'Established', step);
    t.true(sameSessionSince(p.since, since), `${step}: BIRD's session was not reset (${since} -> ${p.since})`);
    const ours = session(await adminStatus(adminPort), 'switch');
    t.is(ours.state, 'Established', step);
    t.is(ours.since, ourSince, `${step}: our session was not restarted`);
    t.is(ours.establishedCount, 1, `${step}: Established only once`);
  };

  // `bgp-speaker status` against the running speaker.
  const table = await runCli(['status', '--admin-address', `127.0.0.1:${adminPort}`]);
  t.is(table.code, 0, table.stderr);
  const rows = table.stdout.trim().split('\n');
  t.deepEqual(rows[0]!.split(/\s+/), ['NAME', 'PEER', 'AS', 'STATE', 'SINCE', 'ADV', 'RCV', 'LAST-ERROR']);
  t.deepEqual(rows[1]!.split(/\s+/).filter((_, i) => i !== 4), ['switch', `127.0.0.1:${birdPort}`, '65001', 'Established', '2', '0', '-']);
  t.regex(rows[1]!.split(/\s+/)[4]!, /^\d+s$/);
  const json = await runCli(['status', '--admin-address', `127.0.0.1:${adminPort}`, '-o', 'json']);
  const parsed = JSON.parse(json.stdout) as AdminStatus;
  t.is(parsed.node, 'node-1');
  t.is(session(parsed, 'switch').holdTime, 90);
  t.true(session(parsed, 'switch').capabilities.includes('graceful-restart'));

  // A reload (file change) that adds a node.
  await replaceFile(file, fileText([peer], 'node-1', [n1, n2, n3]));
  await waitPrefixes(bird, ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24'], 'node-3 added');
  await unchanged('add node');

  // A reload (SIGHUP) that removes a node.
  await writeFile(file, fileText([peer], 'node-1', [n1, n3]));
  process.kill(speaker.pid, 'SIGHUP');
  await waitPrefixes(bird, ['10.244.1.0/24', '10.244.3.0/24'], 'node-2 removed');
  await unchanged('remove node');

  // A label change takes node-3 out of the selector.
  await replaceFile(file, fileText([peer], 'node-1', [n1, { ...n3, lan: 'b' }]));
  await waitPrefixes(bird, ['10.244.1.0/24'], 'node-3 left the selector');
  await unchanged('label change');

  // A broken new BGPPeer and a broken version of node-1 are skipped; node-2
  // (valid) comes back, and node-1's previous version stays in force.
  const broken = peerYaml({ name: 'broken', port: birdPort, peerAs: 70000000000 }, 'node-1');
  await replaceFile(file, fileText([peer], 'node-1', [{ ...n1, cidr: '10.244.1.0/33' }, n2], [broken]));
  await waitPrefixes(bird, ['10.244.1.0/24', '10.244.2.0/24'], 'node-2 back despite broken objects');
  await unchanged('broken objects');
  await waitFor(async () => speaker.stdout().includes('BGPPeer broken: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)'),
    { what: 'the broken BGPPeer logged', timeoutMs: 5000 });
  t.true(speaker.stdout().includes('Node node-1: spec.podCIDRs[0]: \\"10.244.1.0/33\\" is not a CIDR'));
  const st = await adminStatus(adminPort);
  t.deepEqual(st.sessions.map((s) => s.name), ['switch']);
  t.true(st.problems!.includes('BGPPeer broken: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)'));

  // YAML that does not parse at all keeps the previous objects.
  await replaceFile(file, 'kind: [Node\n  broken: : :\n');
  await waitFor(async () => speaker.stdout().includes('configuration not applied'), { what: 'the syntax error logged', timeoutMs: 5000 });
  t.deepEqual(await prefixes(bird), ['10.244.1.0/24', '10.244.2.0/24']);
  await unchanged('unparsable YAML');

  // Logs are bunyan JSON lines and never contain anything but JSON.
  for (const line of speaker.stdout().trim().split('\n')) t.notThrows(() => JSON.parse(line), line);

  // SIGTERM: graceful stop, exit 0, BIRD keeps the routes as stale.
  process.kill(speaker.pid, 'SIGTERM');
  const exit = await speaker.exited;
  t.deepEqual(exit, { code: 0, signal: null });
  await waitFor(async () => (await bird.protocol('ours')).neighborGracefulRestartActive,
    { what: 'BIRD in graceful restart for our session', timeoutMs: 10000 });
  const stale = await bird.routes('master4');
  t.deepEqual(stale.map((r) => r.prefix).sort(), ['10.244.1.0/24', '10.244.2.0/24']);
  t.true(stale.every((r) => r.stale));

  // With the speaker gone, `status` fails clearly.
  const down = await runCli(['status', '--admin-address', `127.0.0.1:${adminPort}`]);
  t.is(down.code, 1);
  t.regex(down.stderr, /^bgp-speaker status: cannot reach the admin endpoint at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
});

const md5Test = md5Supported() ? birdTest : birdTest.skip;

md5Test('a changed password restarts only that session; the other keeps running', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const dir = await mkdtemp(join(tmpdir(), 'standalone-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'objects.yaml');
  const [portA, portB, adminPort] = [await freePort(), await freePort(), await freePort()];
  const n1: NodeDef = { name: 'node-1', ip: '127.0.0.31', cidr: '10.244.1.0/24' };
  const a: PeerDef = { name: 'switch-a', port: portA };
  const b: PeerDef = { name: 'switch-b', port: portB, password: 'first-pass' };
  await writeFile(file, fileText([a, b], 'node-1', [n1]));
  const birdA = await birdFor(t, 'a', portA, n1.ip);
  const birdB = await birdFor(t, 'b', portB, n1.ip, 'first-pass');
  const speaker = await startSpeaker(t, file, 'node-1', adminPort);
  const sinceA = (await birdA.waitEstablished('a')).since;
  await birdB.waitEstablished('b');
  await waitPrefixes(birdB, ['10.244.1.0/24'], 'route on B');
  const before = await adminStatus(adminPort);

  await replaceFile(file, fileText([a, { ...b, password: 'second-pass' }], 'node-1', [n1]));
  await waitFor(
    async () => speaker.records().some((r) => r.session === 'switch-b' && r.reason === 'ConfigChanged'),
    { what: 'session switch-b restarted for the new password', timeoutMs: 10000 },
  );
  await birdB.reconfigure({ ...birdB.options, neighbors: [{ ...birdB.options.neighbors[0]!, password: 'second-pass' }] });
  await birdB.waitEstablished('b');
  await waitFor(async () => {
    const x = session(await adminStatus(adminPort), 'switch-b');
    const pb = await birdB.protocol('b');
    const restarted = x.state === 'Established' && x.since > session(before, 'switch-b').since;
    return { ok: restarted, value: [x, pb.bgpState, pb.lastError, pb.info] };
  }, { what: 'switch-b Established again with the new password', timeoutMs: 20000 });
  await waitPrefixes(birdB, ['10.244.1.0/24'], 'route on B again');

  const pa = await birdA.protocol('a');
  t.is(pa.bgpState, 'Established');
  t.true(sameSessionSince(pa.since, sinceA), `${sinceA} -> ${pa.since}`);
  const st = await adminStatus(adminPort);
  t.is(session(st, 'switch-a').establishedCount, 1);
  t.is(session(st, 'switch-a').since, session(before, 'switch-a').since);
  t.false(speaker.records().some((r) => r.session === 'switch-a' && r.msg === 'session down'));
  t.false(speaker.stdout().includes('first-pass') || speaker.stdout().includes('second-pass'), 'passwords never logged');
  t.false(JSON.stringify(st).includes('pass'), 'passwords never in status');
});

birdTest('an unusable file at start exits 2 with the problem lines on stderr', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'standalone-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'objects.yaml');
  await writeFile(file, fileText([{ name: 'p', port: 1179, peerAs: 70000000000 }], 'node-1',
    [{ name: 'node-1', ip: '127.0.0.41', cidr: '10.244.1.0/24' }]));
  const r = await runCli(['standalone', '--config', file, '--node-name', 'node-1', '--admin-address', 'off']);
  t.is(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  t.is(lines[0], 'BGPPeer p: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)');
  t.regex(lines.at(-1)!, /configuration not usable/);
  t.is(r.stdout, '');
});
