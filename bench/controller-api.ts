// Controller-scale benchmark with the Kubernetes API-server source: the test
// API server (test/kube/server.ts) runs in this process with one BGPPeer
// (nodeSelector lan=a, localSpeakers [node-0]) and N Nodes labelled lan=a,
// each with one /24 pod CIDR and its own InternalIP; `bgp-speaker run` is a
// separate process (so its RSS is its own) and the receiver is the lab
// collector (src/lab/collector.ts) in this process, whose 'update' event
// fires on every UPDATE it applies (RFC 4271 §9.1), so a change's arrival is
// seen without polling. Measures, for N = 500, 5,000, 20,000 (--nodes):
// - agent spawn -> the receiver's session Established, -> all N routes at
//   the receiver, and -> End-of-RIB (with the routes held when it came: End-of-RIB
//   before the whole table would be a bug, RFC 4724 §4.1);
// - once the agent's /readyz answers 200 (its informers have listed), over
//   --changes single-Node changes (default 50), cycling
//   add a Node (its pod CIDR appears), change a Node's pod CIDR (the new
//   prefix appears and the old one is withdrawn), relabel a Node to lan=b
//   (its prefix is withdrawn), the latency from store.put (the watchers are
//   told synchronously) to the receiver's table showing the change;
// - the agent's peak RSS (VmHWM) and CPU seconds.
//
// Run from the source tree (the test API server reads crds/ next to test/),
// after building the agent (`npx tsc -p tsconfig.json`):
//
//   npx tsx bench/controller-api.ts [--nodes 500,5000,20000] [--changes 50] [--agent-profile DIR] [--agent-cli FILE]
//
// --agent-profile DIR runs the agent with --cpu-prof into DIR (written when it
// stops); bench/profile-top.ts summarizes it. --agent-cli FILE runs another
// build's CLI (default the bundle, dist/bundle/bgp-speaker.js, as users run it), to compare builds in one sitting.

import { freePort, makeTempDir, removeDir, startProcess } from '../test/peers/proc.js';
import { startApiServer, type ApiServer } from '../test/kube/server.js';
import { Collector } from '../src/lab/collector.js';
import { silentLogger } from '../src/log.js';
import { machine, machineMarkdown } from './lib/machine.js';
import { usage } from './lib/procstat.js';
import { RECEIVER_ADDRESS, RECEIVER_AS } from './lib/receiver.js';
import { LOCAL_AS } from './lib/speaker-config.js';
import { percentile } from './lib/stats.js';
import { WORKLOADS, nextHopOf, prefixOf } from './lib/workloads.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('nodes', '500,5000,20000').split(',').map(Number);
const changes = Number(arg('changes', '50'));
const profileDir = arg('agent-profile', '');
/** The built CLI to run as the agent (another build to compare with, e.g. a copy of dist/ from before a change). */
const agentCli = arg('agent-cli', 'dist/bundle/bgp-speaker.js');
const SPEAKER = 'node-0';
/** node-0's InternalIP: the agent's BGP source address, the one peer the collector accepts. */
const SPEAKER_IP = '127.0.0.2';
/** Pod CIDRs given by "change a pod CIDR" start at this workload index (10.156.64.0/24), clear of the Nodes'. */
const MOVED_BASE = 40000;
const W = WORKLOADS['W2-20k'];
const START_TIMEOUT_MS = 10 * 60 * 1000;
const CHANGE_TIMEOUT_MS = 60 * 1000;

function nodeObject(name: string, ip: string, podCIDR: string, lan: string): Record<string, unknown> {
  return {
    metadata: { name, labels: { lan } },
    spec: { podCIDR, podCIDRs: [podCIDR] },
    status: {
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

const kinds = ['add', 'cidr', 'relabel'] as const;
type Kind = (typeof kinds)[number];

interface Result {
  /** Spawn -> the collector's session Established, s. */
  established: number;
  startup: number;
  /** Spawn -> End-of-RIB (IPv4) at the collector, s, and the routes held when it came. */
  endOfRib: number;
  routesAtEndOfRib: number;
  lat: Record<Kind | 'all', number[]>;
  peakRssMb: number;
  cpuSeconds: number;
  /** The agent's CPU time over the change loop divided by the changes (clock-tick resolution). */
  cpuPerChangeMs: number;
}

async function one(n: number): Promise<Result> {
  if (changes >= n) throw new Error('--changes must be below the Node count (each change targets its own Node)');
  const dir = await makeTempDir('bench-ctl-api');
  let server: ApiServer | null = null;
  let rx: Collector | null = null;
  let proc: ReturnType<typeof startProcess> | null = null;
  try {
    rx = await Collector.start({
      address: RECEIVER_ADDRESS,
      port: 0,
      localAs: RECEIVER_AS,
      routerId: RECEIVER_ADDRESS,
      peers: [{ address: SPEAKER_IP, as: LOCAL_AS }],
      log: silentLogger(),
    });
    const c = rx;
    // The collector's table for the agent, read directly: routes() would copy all N routes per check.
    const rib = (): Map<string, unknown> => (c as unknown as { peers: Map<string, { rib: { ipv4: Map<string, unknown> } }> }).peers.get(SPEAKER_IP)!.rib.ipv4;
    const has = (prefix: string): boolean => rib().has(prefix);
    // Resolves with the time the condition first held, checked on every applied UPDATE.
    const when = async (cond: () => boolean, timeoutMs: number, what: string): Promise<number> => {
      let at = 0;
      await c.waitFor(
        () => {
          if (!proc!.isRunning()) throw new Error(`agent exited:\n${proc!.log().slice(-2000)}`);
          if (at === 0 && cond()) at = performance.now();
          return at !== 0;
        },
        timeoutMs,
        what,
      );
      return at;
    };

    server = await startApiServer({ maxHistory: n + changes + 1000 });
    const store = server.store;
    const { port } = rx.address();
    store.put('BGPPeer', '', 'bench', {
      apiVersion: 'network.openyurt.io/v1alpha1',
      kind: 'BGPPeer',
      metadata: { name: 'bench' },
      spec: {
        localSpeakers: [SPEAKER],
        localAsNumber: LOCAL_AS,
        peerIP: RECEIVER_ADDRESS,
        peerPort: port,
        peerAsNumber: RECEIVER_AS,
        nodeSelector: 'lan=a',
      },
    });
    const cidrOf: string[] = [];
    for (let i = 0; i < n; i++) {
      cidrOf[i] = prefixOf(W, i);
      store.put('Node', '', `node-${i}`, nodeObject(`node-${i}`, i === 0 ? SPEAKER_IP : nextHopOf(W, i), cidrOf[i]!, 'a'));
    }

    let establishedAt = 0;
    let endOfRibAt = 0;
    let routesAtEndOfRib = -1;
    rx.on('established', () => {
      if (establishedAt === 0) establishedAt = performance.now();
    });
    rx.on('endOfRib', () => {
      if (endOfRibAt !== 0) return;
      endOfRibAt = performance.now();
      routesAtEndOfRib = rib().size;
    });
    const adminPort = await freePort();
    const t0 = performance.now();
    proc = startProcess({
      argv: [
        process.execPath, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), agentCli, 'run', '--kubeconfig', server.kubeconfigPath, '--node-name', SPEAKER,
        '--admin-address', `127.0.0.1:${adminPort}`, '--log-level', 'warn',
      ],
      dir,
      logName: 'agent.log',
      cwd: process.cwd(),
    });
    const startup = ((await when(() => rib().size >= n, START_TIMEOUT_MS, `${n} routes`)) - t0) / 1000;
    if (rib().size !== n) throw new Error(`receiver holds ${rib().size} routes, expected ${n}`);
    await when(() => endOfRibAt !== 0, START_TIMEOUT_MS, 'End-of-RIB');
    const established = (establishedAt - t0) / 1000;
    const endOfRib = (endOfRibAt - t0) / 1000;
    // The changes below measure the steady state: the agent's watches run (/readyz), not its start.
    const deadline = performance.now() + START_TIMEOUT_MS;
    while ((await fetch(`http://127.0.0.1:${adminPort}/readyz`).then((r) => r.status, () => 0)) !== 200) {
      if (performance.now() > deadline || !proc.isRunning()) throw new Error(`agent not ready:\n${proc.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    const lat: Result['lat'] = { add: [], cidr: [], relabel: [], all: [] };
    const cpuBefore = usage(proc.pid)?.cpuSeconds ?? NaN;
    for (let k = 0; k < changes; k++) {
      const kind = kinds[k % kinds.length]!;
      // Each change touches its own Node, so no change undoes an earlier one.
      const j = 1 + k;
      let cond: () => boolean;
      const t = performance.now();
      if (kind === 'add') {
        const i = n + k;
        const p = prefixOf(W, i);
        store.put('Node', '', `node-${i}`, nodeObject(`node-${i}`, nextHopOf(W, i), p, 'a'));
        cond = () => has(p);
      } else if (kind === 'cidr') {
        const old = cidrOf[j]!;
        const p = prefixOf(W, MOVED_BASE + k);
        cidrOf[j] = p;
        store.put('Node', '', `node-${j}`, nodeObject(`node-${j}`, nextHopOf(W, j), p, 'a'));
        cond = () => has(p) && !has(old);
      } else {
        const p = cidrOf[j]!;
        store.put('Node', '', `node-${j}`, nodeObject(`node-${j}`, nextHopOf(W, j), p, 'b'));
        cond = () => !has(p);
      }
      const ms = (await when(cond, CHANGE_TIMEOUT_MS, `change ${k} (${kind})`)) - t;
      lat[kind].push(ms);
      lat.all.push(ms);
    }
    const u = usage(proc.pid);
    const cpuPerChangeMs = (((u?.cpuSeconds ?? NaN) - cpuBefore) * 1000) / changes;
    return { established, startup, endOfRib, routesAtEndOfRib, lat, peakRssMb: u?.peakRssMb ?? NaN, cpuSeconds: u?.cpuSeconds ?? NaN, cpuPerChangeMs };
  } finally {
    await proc?.stop().catch(() => undefined);
    await rx?.close().catch(() => undefined);
    await server?.close().catch(() => undefined);
    await removeDir(dir);
  }
}

const p = (v: number[], q: number): string => (v.length ? percentile(v, q).toFixed(1) : '—');
const lines = [
  '| Nodes | start → Established s | start → all routes s | start → End-of-RIB s (routes then) | changes | change → receiver p50 ms | p99 ms | add p50 | pod CIDR p50 | relabel p50 | agent peak RSS MB | agent CPU s | agent CPU ms/change |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const n of sizes) {
  try {
    const r = await one(n);
    lines.push(
      `| ${n.toLocaleString('en')} | ${r.established.toFixed(3)} | ${r.startup.toFixed(3)} | ${r.endOfRib.toFixed(3)} (${r.routesAtEndOfRib}) | ${r.lat.all.length} | ${p(r.lat.all, 50)} | ${p(r.lat.all, 99)} | ` +
        `${p(r.lat.add, 50)} | ${p(r.lat.cidr, 50)} | ${p(r.lat.relabel, 50)} | ${r.peakRssMb.toFixed(1)} | ${r.cpuSeconds.toFixed(2)} | ${r.cpuPerChangeMs.toFixed(1)} |`,
    );
  } catch (err) {
    process.stderr.write(`${n} Nodes failed: ${(err as Error).message}\n`);
    lines.push(`| ${n.toLocaleString('en')} | failed: ${(err as Error).message.split('\n')[0]} | | | | | | | | | | | |`);
  }
  process.stderr.write(`${lines[lines.length - 1]}\n`);
}
process.stdout.write(`${lines.join('\n')}\n\n${machineMarkdown(machine())}\n`);
