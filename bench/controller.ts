// Controller-scale benchmark with the file source: `bgp-speaker standalone`
// with a YAML file of N Nodes (one /24 pod CIDR and InternalIP each) and a
// receiving BIRD 2. Measures, for N = 500, 5,000, 20,000 (--nodes):
// - agent start -> all N routes at the receiver;
// - over --changes single-Node changes (default 200), the latency from the
//   change (file rewritten + SIGHUP) to the receiver holding the new route.
//   A change adds one Node, so the receiver's imported count grows by one;
// - the agent's peak RSS.
//
//   node dist/bench/controller.js [--nodes 500,5000,20000] [--changes 200] [--agent dist/bundle/bgp-speaker.js]
//
// --agent runs another build of the CLI (a copy of dist/bundle kept from
// before a change), so before and after can be measured in one sitting.

import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, makeTempDir, removeDir, startProcess } from '../test/peers/proc.js';
import { usage } from './lib/procstat.js';
import { startReceiver, RECEIVER_ADDRESS, RECEIVER_AS } from './lib/receiver.js';
import { LOCAL_AS, speakerYaml, workloadNodes, type NodeSpec } from './lib/speaker-config.js';
import { percentile } from './lib/stats.js';
import type { Workload } from './lib/workloads.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('nodes', '500,5000,20000').split(',').map(Number);
const changes = Number(arg('changes', '200'));
const agent = arg('agent', 'dist/bundle/bgp-speaker.js');
const SPEAKER_IP = '127.0.0.2';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function one(n: number): Promise<string> {
  const dir = await makeTempDir('bench-ctl');
  const port = await freePort();
  const rx = await startReceiver({ dir, port, sender: { address: SPEAKER_IP, as: LOCAL_AS }, passive: true });
  const w: Workload = { name: 'W2-20k', n: n + changes, perPrefixNextHop: true };
  const all = [...workloadNodes(w)];
  const peer = { address: RECEIVER_ADDRESS, port, as: RECEIVER_AS };
  const file = join(dir, 'cluster.yaml');
  // Replaced by rename, so the agent never reads a half-written file.
  const write = async (nodes: NodeSpec[]): Promise<void> => {
    await writeFile(`${file}.tmp`, speakerYaml(peer, SPEAKER_IP, nodes));
    await rename(`${file}.tmp`, file);
  };
  await write(all.slice(0, n));
  const t0 = performance.now();
  const proc = startProcess({
    argv: [process.execPath, agent, 'standalone', '--config', file, '--node-name', 'speaker', '--admin-address', 'off', '--log-level', 'warn'],
    dir,
    logName: 'speaker.log',
    cwd: process.cwd(),
  });
  try {
    const waitCount = async (want: number, timeoutMs: number): Promise<number> => {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (!proc.isRunning()) throw new Error(`agent exited:\n${proc.log().slice(-2000)}`);
        const p = await rx.ctl.protocol('sender');
        if (p.imported >= want) return performance.now();
        if (performance.now() > deadline) throw new Error(`receiver holds ${p.imported} of ${want} routes`);
        await sleep(1);
      }
    };
    const startup = ((await waitCount(n, 120000)) - t0) / 1000;
    const lat: number[] = [];
    for (let c = 0; c < changes; c++) {
      await write(all.slice(0, n + c + 1));
      const t = performance.now();
      process.kill(proc.pid, 'SIGHUP');
      lat.push((await waitCount(n + c + 1, 60000)) - t);
    }
    const u = usage(proc.pid);
    const p = (q: number): string => (lat.length ? percentile(lat, q).toFixed(1) : '—');
    return `| ${n.toLocaleString('en')} | ${startup.toFixed(3)} | ${lat.length} | ${p(50)} | ${p(99)} | ${u?.peakRssMb.toFixed(1) ?? '—'} |`;
  } finally {
    await proc.stop();
    await rx.stop();
    await removeDir(dir);
  }
}

const lines = [
  '### Controller, file source (`bgp-speaker standalone`, change = file rewrite + SIGHUP adding one Node)',
  '',
  '| Nodes | start → all routes s | changes | change → route at receiver p50 ms | p99 ms | agent peak RSS MB |',
  '| --- | --- | --- | --- | --- | --- |',
];
for (const n of sizes) {
  try {
    lines.push(await one(n));
  } catch (err) {
    lines.push(`| ${n} | failed: ${(err as Error).message.split('\n')[0]} | | | | |`);
  }
}
process.stdout.write(lines.join('\n') + '\n');
