// `bgp-speaker standalone`'s early start, as a subprocess: the session of a
// BGPPeer that lists this node in spec.localSpeakers starts before the rest of
// a large file is parsed, End-of-RIB (RFC 4724 §4.1) waits for the whole
// configuration, and the peer (BIRD 2 on loopback) ends with exactly the
// routes of every Node. An elected speaker (no localSpeakers) waits for the
// whole file; a file that is unusable as a whole still exits 2, also when
// the early objects alone were fine.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { freePort, requirePeer, startBird, testWithPeer, waitFor, type BirdHandle } from '../peers/index.js';
import { runCli, startCli, type CliProcess } from './helpers.js';

const birdTest = testWithPeer('bird');

/** Node i of a generated cluster: its own /24 and a loopback InternalIP. */
function node(i: number, opts: { ready?: boolean; cidr?: string } = {}): string {
  const ip = `127.${1 + (i >> 8)}.${i & 255}.1`;
  return [
    'apiVersion: v1',
    'kind: Node',
    `metadata: {name: node-${i}, labels: {lan: a}}`,
    `spec: {podCIDRs: [${opts.cidr ?? `10.${100 + (i >> 8)}.${i & 255}.0/24`}]}`,
    `status: {addresses: [{type: InternalIP, address: ${ip}}], conditions: [{type: Ready, status: "${opts.ready === false ? 'False' : 'True'}"}]}`,
  ].join('\n');
}

function peer(port: number, speakers: string[] | null): string {
  return [
    'apiVersion: network.openyurt.io/v1alpha1',
    'kind: BGPPeer',
    'metadata: {name: switch}',
    'spec:',
    ...(speakers ? [`  localSpeakers: [${speakers.join(', ')}]`] : ['  speakerCount: 1']),
    '  localAsNumber: 65010',
    '  peerIP: 127.0.0.1',
    `  peerPort: ${port}`,
    '  peerAsNumber: 65001',
    '  nodeSelector: lan=a',
    '  connectRetryTime: 2',
  ].join('\n');
}

/** The pod CIDR of node i, as node() writes it. */
const cidrOf = (i: number): string => `10.${100 + (i >> 8)}.${i & 255}.0/24`;

async function tempFile(t: ExecutionContext, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'standalone-early-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'objects.yaml');
  await writeFile(file, text);
  return file;
}

async function birdFor(t: ExecutionContext, port: number, nodeIp: string): Promise<BirdHandle> {
  const bird = await startBird({
    routerId: '127.0.0.1',
    localAs: 65001,
    listen: { address: '127.0.0.1', port },
    neighbors: [{ name: 'ours', address: nodeIp, as: 65010, passive: true, gracefulRestart: true, grTime: 300 }],
  });
  t.teardown(() => bird.stop());
  return bird;
}

async function waitRoutes(bird: BirdHandle, want: readonly string[], speaker: CliProcess): Promise<void> {
  const sorted = [...want].sort().join();
  await waitFor(async () => {
    if (speaker.child.exitCode !== null) throw new Error(`standalone exited ${speaker.child.exitCode}: ${speaker.stderr()}`);
    const got = (await bird.routes('master4')).map((r) => r.prefix).sort();
    return { ok: got.join() === sorted, value: got };
  }, { what: `${want.length} routes at BIRD`, timeoutMs: 60000, intervalMs: 200 });
}

/** Index of the first record matching `f`, -1 if none. */
function indexOf(p: CliProcess, f: (r: Record<string, unknown>) => boolean): number {
  return p.records().findIndex(f);
}

birdTest('a BGPPeer listing this node starts its session before the whole file is loaded; End-of-RIB follows the whole route set', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const count = 2000;
  const port = await freePort();
  // node-0 is the speaker; the BGPPeer comes last, behind every other Node.
  const docs = [node(0)];
  for (let i = 1; i < count; i++) docs.push(node(i));
  docs.push(peer(port, ['node-0']));
  const file = await tempFile(t, docs.join('\n---\n') + '\n');
  const bird = await birdFor(t, port, '127.1.0.1');
  const speaker = startCli(['standalone', '--config', file, '--node-name', 'node-0', '--admin-address', 'off', '--log-level', 'debug']);
  t.teardown(() => speaker.stop());

  const want = Array.from({ length: count }, (_, i) => cidrOf(i));
  await waitRoutes(bird, want, speaker);
  await waitFor(async () => indexOf(speaker, (r) => r.msg === 'initial table sent, End-of-RIB') >= 0, { what: 'End-of-RIB logged', timeoutMs: 10000 });

  const early = indexOf(speaker, (r) => typeof r.msg === 'string' && r.msg.startsWith('early start'));
  const firstState = indexOf(speaker, (r) => r.session === 'switch' && r.msg === 'state change');
  const loaded = indexOf(speaker, (r) => r.msg === 'configuration loaded');
  const eor = indexOf(speaker, (r) => r.msg === 'initial table sent, End-of-RIB');
  t.true(early >= 0, 'the early start is logged');
  t.deepEqual(speaker.records()[early]!.sessions, ['switch']);
  t.true(firstState >= 0 && firstState < loaded, `the session left Idle (record ${firstState}) before the configuration was loaded (record ${loaded})`);
  t.true(eor > loaded, `End-of-RIB (record ${eor}) after the configuration was loaded (record ${loaded})`);
  t.is(speaker.records()[eor]!.advertised, count, 'End-of-RIB follows every route');
  const established = indexOf(speaker, (r) => r.session === 'switch' && r.msg === 'session established');
  t.log(`session established at record ${established}, configuration loaded at ${loaded}`);
  t.is(speaker.records().filter((r) => r.msg === 'session established').length, 1, 'one session, never restarted');
});

birdTest('an elected speaker (no localSpeakers) waits for the whole file and then advertises every route', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const count = 300;
  const port = await freePort();
  // Only node-0 is Ready, so the rendezvous election of one speaker picks it.
  const docs = [peer(port, null), node(0)];
  for (let i = 1; i < count; i++) docs.push(node(i, { ready: false }));
  const file = await tempFile(t, docs.join('\n---\n') + '\n');
  const bird = await birdFor(t, port, '127.1.0.1');
  const speaker = startCli(['standalone', '--config', file, '--node-name', 'node-0', '--admin-address', 'off', '--log-level', 'debug']);
  t.teardown(() => speaker.stop());

  await waitRoutes(bird, Array.from({ length: count }, (_, i) => cidrOf(i)), speaker);
  t.is(indexOf(speaker, (r) => typeof r.msg === 'string' && r.msg.startsWith('early start')), -1, 'no early start');
  const eor = speaker.records().find((r) => r.msg === 'initial table sent, End-of-RIB');
  t.is(eor?.advertised, count);
});

test('a broken Node late in the file exits 2 with its problem line, after stopping the session started early', async (t) => {
  const port = await freePort(); // nothing listens: the early session's attempt fails at once
  const docs = [node(0), peer(port, ['node-0'])];
  for (let i = 1; i < 200; i++) docs.push(node(i));
  docs.push(node(200, { cidr: '10.250.0.0/33' }));
  const file = await tempFile(t, docs.join('\n---\n') + '\n');
  const r = await runCli(['standalone', '--config', file, '--node-name', 'node-0', '--admin-address', 'off']);
  t.is(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  t.true(lines.includes('Node node-200: spec.podCIDRs[0]: "10.250.0.0/33" is not a CIDR'), r.stderr);
  t.regex(lines.at(-1)!, /configuration not usable/);
  t.regex(r.stdout, /"msg":"early start/);
  t.regex(r.stdout, /"msg":"configuration not usable: stopping the sessions started early"/);
  t.notRegex(r.stdout, /"msg":"configuration loaded"/);
});

test('a YAML syntax error late in the file exits 2 naming its line', async (t) => {
  const port = await freePort();
  const docs = [node(0), peer(port, ['node-0']), node(1), 'kind: [Node\n  broken: : :'];
  const file = await tempFile(t, docs.join('\n---\n') + '\n');
  const r = await runCli(['standalone', '--config', file, '--node-name', 'node-0', '--admin-address', 'off']);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stderr, /objects\.yaml:\d+:\d+: YAML syntax error: .+; document 4 skipped/);
  t.regex(r.stderr.trim().split('\n').at(-1)!, /configuration not usable/);
});

test('a broken BGPPeer starts no session at all: exit 2 before any connection attempt', async (t) => {
  const port = await freePort();
  const bad = peer(port, ['node-0']).replace('peerAsNumber: 65001', 'peerAsNumber: 70000000000');
  const docs = [node(0), bad, node(1)];
  const file = await tempFile(t, docs.join('\n---\n') + '\n');
  const r = await runCli(['standalone', '--config', file, '--node-name', 'node-0', '--admin-address', 'off', '--log-level', 'debug']);
  t.is(r.code, 2, r.stderr);
  t.is(r.stderr.trim().split('\n')[0], 'BGPPeer switch: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)');
  t.is(r.stdout, '', 'nothing started, nothing logged');
});
