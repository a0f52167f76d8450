// What a start of `bgp-speaker` loads. The yaml and ip-address packages,
// node:http (the admin endpoint) and node:child_process (which commander
// requires but only uses for executable subcommands) are loaded when first
// needed, not at every start: each costs start-up time and RSS on small edge
// nodes (docs/benchmarks.md, sixth session). A preload script records the
// Node built-ins and the packages (required through createRequire) a
// process loaded by the time it exits.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { freePort, waitFor } from '../peers/index.js';
import { CLI, runCli, startCli } from './helpers.js';

/** Whether the CLI runs as the bundle users run (npm test), not through tsx, which loads modules of its own. */
const BUNDLE = CLI.some((a) => a.endsWith('dist/bundle/bgp-speaker.js'));

const PROBE = `
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
  const packages = [...new Set(Object.keys(require.cache).map((f) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f)?.[1]).filter(Boolean))];
  writeFileSync(process.env.STARTUP_PROBE_OUT, JSON.stringify({ builtins, packages }));
});
`;

interface Loaded {
  builtins: string[];
  packages: string[];
}

async function probeDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'startup-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'probe.cjs'), PROBE);
  return dir;
}

/** Options that make a CLI child preload the probe and write what it loaded to dir/loaded.json. */
function probeEnv(dir: string): NodeJS.ProcessEnv {
  // Only the probe: options of the test runner's own (a loader) would load modules of their own.
  return { ...process.env, NODE_OPTIONS: `--require=${join(dir, 'probe.cjs')}`, STARTUP_PROBE_OUT: join(dir, 'loaded.json') };
}

async function loaded(dir: string): Promise<Loaded> {
  return JSON.parse(await readFile(join(dir, 'loaded.json'), 'utf8')) as Loaded;
}

/** One speaker Node on loopback and a BGPPeer on a loopback port nobody listens on. */
function config(port: number, extra = ''): string {
  return [
    'apiVersion: network.openyurt.io/v1alpha1',
    'kind: BGPPeer',
    'metadata: {name: switch}',
    'spec:',
    '  localSpeakers: [node-0]',
    '  localAsNumber: 65010',
    '  peerIP: 127.0.0.1',
    `  peerPort: ${port}`,
    '  peerAsNumber: 65001',
    '  nodeSelector: all()',
    '---',
    'apiVersion: v1',
    'kind: Node',
    'metadata: {name: node-0}',
    'spec: {podCIDRs: [10.244.0.0/24, 10.244.1.0/24]}',
    'status: {addresses: [{type: InternalIP, address: 127.1.0.1}], conditions: [{type: Ready, status: "True"}]}',
    extra,
  ].join('\n');
}

async function runStandalone(t: ExecutionContext, text: string, admin: string): Promise<Loaded> {
  const dir = await probeDir(t);
  const file = join(dir, 'objects.yaml');
  await writeFile(file, text);
  const p = startCli(['standalone', '--config', file, '--node-name', 'node-0', '--admin-address', admin], { env: probeEnv(dir) });
  t.teardown(() => p.stop());
  await waitFor(async () => {
    if (p.child.exitCode !== null) throw new Error(`standalone exited ${p.child.exitCode}: ${p.stderr()}`);
    return { ok: p.records().some((r) => r.msg === 'configuration loaded'), value: p.stderr() };
  }, {
    what: 'the configuration loaded',
    timeoutMs: 20000,
    intervalMs: 50,
  });
  await p.stop();
  t.is(p.child.signalCode, null, `stopped by SIGTERM and exited on its own; ${p.stderr()} ${p.stdout().slice(-1500)}`);
  return loaded(dir);
}

test('an IPv4 standalone start without the admin endpoint loads neither node:http, node:child_process, node:crypto nor the yaml and ip-address packages', async (t) => {
  const got = await runStandalone(t, config(await freePort()), 'off');
  // The probe works: the modules every start needs are seen.
  t.true(got.builtins.includes('net'), got.builtins.join(' '));
  t.false(got.builtins.includes('http'), 'http was loaded');
  // Through tsx, commander is not bundled (no deferred require) and tsx itself loads both.
  if (BUNDLE) for (const m of ['child_process', 'crypto']) t.false(got.builtins.includes(m), `${m} was loaded`);
  for (const m of ['yaml', 'ip-address']) t.false(got.packages.includes(m), `${m} was loaded`);
});

test('what a start does without is loaded when needed: node:http for the admin endpoint, ip-address for IPv6 text, yaml for an anchor', async (t) => {
  const ipv6Node = [
    '---',
    'apiVersion: v1',
    'kind: Node',
    'metadata: {name: node-6, labels: &labels {lan: a}}',
    'spec: {podCIDRs: [fd00:10:244::/64]}',
    'status: {addresses: [{type: InternalIP, address: "fd00::6"}]}',
  ].join('\n');
  const got = await runStandalone(t, config(await freePort(), ipv6Node), `127.0.0.1:${await freePort()}`);
  t.true(got.builtins.includes('http'), got.builtins.join(' '));
  t.true(got.packages.includes('ip-address'), got.packages.join(' '));
  t.true(got.packages.includes('yaml'), got.packages.join(' '));
});

test('bgp-speaker validate of a file with a syntax error loads the yaml package for its message, and still names the line', async (t) => {
  const dir = await probeDir(t);
  const file = join(dir, 'broken.yaml');
  await writeFile(file, config(await freePort(), '---\nkind: Node\nmetadata: {name: [unclosed\n'));
  const r = await runCli(['validate', file], 30000, { env: probeEnv(dir) });
  t.is(r.code, 1, r.stdout + r.stderr);
  t.regex(r.stdout + r.stderr, /broken\.yaml:20:1: YAML syntax error/);
  t.true((await loaded(dir)).packages.includes('yaml'));
});
