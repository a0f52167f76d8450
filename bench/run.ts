// `npm run bench`: our speaker side by side with BIRD 2, GoBGP and FRR as
// senders to one receiving BIRD 2 on loopback, and the `floor` sender, which
// writes a table packed before the session opens, so its figure is the
// receiver's own time. For each workload and sender, several fresh trials,
// the senders taken in turn; prints medians (min–max) of start ->
// Established, Established -> all routes at the receiver, total, peak RSS
// and CPU seconds, the ratios ours/BIRD, ours/GoBGP and ours/floor, and
// the machine. Timings are reported, never judged. See docs/benchmarks.md
// for how to read them.
//
//   node dist/bench/run.js [--trials 3] [--workloads W1-100k,W2-5k,W2-20k] [--big]
//                          [--senders ours,ours-core,floor,bird,gobgp,frr] [--out FILE] [--keep] [--profile DIR]

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { machine, machineMarkdown } from './lib/machine.js';
import { SENDER_BY_NAME, SENDERS, oursNodeArgs, type SenderName } from './lib/senders.js';
import { resolve } from 'node:path';
import { fmt, ratio, summarize, type Summary } from './lib/stats.js';
import { runTrial, type TrialResult } from './lib/trial.js';
import { WORKLOADS, type WorkloadName } from './lib/workloads.js';

const program = new Command()
  .option('--trials <n>', 'trials per workload and sender', '3')
  .option('--workloads <list>', 'comma-separated: W1-100k, W1-1M, W2-5k, W2-20k, W1-100k-x3 (3 sessions of 100k)', 'W1-100k,W2-5k,W2-20k')
  .option('--big', 'add W1-1M (one million prefixes)')
  .option('--senders <list>', 'comma-separated: ours, ours-core, floor, bird, gobgp, frr', SENDERS.join(','))
  .option('--out <file>', 'also write the markdown report here')
  .option('--keep', 'keep each trial\'s temp dir (configs, logs)')
  .option('--node-arg <flag>', 'pass this flag to node for our senders (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--profile <dir>', 'write a CPU profile of each of our senders into this directory (node --cpu-prof)')
  .option('--no-install', 'do not run scripts/install-peers.sh');
const opts = program.parse().opts<{ trials: string; workloads: string; big?: boolean; senders: string; out?: string; keep?: boolean; profile?: string; nodeArg: string[]; install: boolean }>();

const trials = Math.max(1, Number(opts.trials));
const workloads = opts.workloads.split(',').map((s) => s.trim()) as WorkloadName[];
if (opts.big && !workloads.includes('W1-1M')) workloads.push('W1-1M');
for (const w of workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}`);
const senders = opts.senders.split(',').map((s) => s.trim()) as SenderName[];
for (const s of senders) if (!SENDER_BY_NAME[s]) throw new Error(`unknown sender ${s}`);

oursNodeArgs.push(...opts.nodeArg);
if (opts.profile) oursNodeArgs.push('--cpu-prof', `--cpu-prof-dir=${resolve(opts.profile)}`);
if (!existsSync('dist/bundle/bgp-speaker.js')) throw new Error('dist/bundle/bgp-speaker.js is missing: run `npm run build` first');
if (opts.install) {
  const r = spawnSync('bash', ['scripts/install-peers.sh'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) process.stderr.write('bench: install-peers.sh failed; senders whose daemon is missing are skipped\n');
}
const BINARIES: Record<SenderName, string> = { ours: process.execPath, 'ours-core': process.execPath, floor: process.execPath, bird: '/usr/sbin/bird', gobgp: '/usr/bin/gobgpd', frr: '/usr/lib/frr/bgpd' };

interface Row {
  workload: WorkloadName;
  sender: SenderName;
  established: Summary | null;
  advertise: Summary | null;
  total: Summary | null;
  rss: Summary | null;
  cpu: Summary | null;
  note: string;
}
const rows: Row[] = [];

// Trials go round the senders (trial 1 of each, then trial 2 of each...), so
// a stretch of load on this shared machine falls on every sender alike.
for (const wn of workloads) {
  const w = WORKLOADS[wn];
  const runs = senders.map((sn) => {
    const sender = SENDER_BY_NAME[sn];
    let note = '';
    if (!existsSync(BINARIES[sn])) note = `${BINARIES[sn]} not installed`;
    else if ((w.sessions ?? 1) > 1 && !sender.multiSession) note = 'not run: this bench configures one session for it';
    return { sn, sender, note, results: [] as TrialResult[], stopped: note !== '' };
  });
  for (let t = 0; t < trials; t++) {
    for (const run of runs) {
      if (run.stopped) continue;
      try {
        const r = await runTrial(run.sender, w, opts.keep);
        run.results.push(r);
        run.note = r.note ?? '';
        process.stderr.write(
          `bench: ${wn} ${run.sn} #${t + 1}: established ${r.established.toFixed(3)} s, all routes +${r.advertise.toFixed(3)} s, ` +
            `RSS ${r.peakRssMb.toFixed(1)} MB, CPU ${r.cpuSeconds.toFixed(2)} s\n`,
        );
      } catch (err) {
        run.note = `failed: ${(err as Error).message.split('\n')[0]}`;
        run.stopped = true;
        process.stderr.write(`bench: ${wn} ${run.sn} #${t + 1}: ${(err as Error).message}\n`);
      }
    }
  }
  for (const { sn, results, note } of runs) {
    rows.push({
      workload: wn,
      sender: sn,
      established: summarize(results.map((r) => r.established)),
      advertise: summarize(results.map((r) => r.advertise)),
      total: summarize(results.map((r) => r.total)),
      rss: summarize(results.map((r) => r.peakRssMb)),
      cpu: summarize(results.map((r) => r.cpuSeconds)),
      note,
    });
  }
}

const m = machine();
const out: string[] = [
  `### Senders to a receiving BIRD ${m.bird} (${trials} trial${trials > 1 ? 's' : ''}, median (min–max))`,
  '',
  '| workload | sender | start → Established s | Established → all routes s | total s | peak RSS MB | CPU s | note |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const r of rows) {
  out.push(`| ${r.workload} | ${r.sender} | ${fmt(r.established)} | ${fmt(r.advertise)} | ${fmt(r.total)} | ${fmt(r.rss, 1)} | ${fmt(r.cpu, 2)} | ${r.note} |`);
}
out.push(
  '',
  '### Ratios of medians (below 1 = ours is faster / smaller)',
  '',
  // `ours` starts its session before its file is parsed, so its Established -> all
  // includes the rest of the configuration load: the protocol engine's figure is ours-core's.
  // floor: the receiver alone (bench/floor-sender.ts), so ours/floor is what sending adds to it.
  '| workload | ours as | Est. → all: ours/BIRD | ours/GoBGP | ours/floor | RSS: ours/BIRD | ours/GoBGP | CPU: ours/BIRD | ours/GoBGP |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
);
for (const wn of workloads) {
  const get = (s: SenderName): Row | undefined => rows.find((r) => r.workload === wn && r.sender === s);
  const b = get('bird');
  const g = get('gobgp');
  const f = get('floor');
  for (const sn of ['ours-core', 'ours'] as const) {
    const o = get(sn);
    if (!o || !o.advertise) continue;
    out.push(
      `| ${wn} | ${sn} | ${ratio(o.advertise, b?.advertise ?? null)} | ${ratio(o.advertise, g?.advertise ?? null)} | ${ratio(o.advertise, f?.advertise ?? null)} | ` +
        `${ratio(o.rss, b?.rss ?? null)} | ${ratio(o.rss, g?.rss ?? null)} | ${ratio(o.cpu, b?.cpu ?? null)} | ${ratio(o.cpu, g?.cpu ?? null)} |`,
    );
  }
}
out.push('', '### Machine', '', machineMarkdown(m), '', `Command: \`node dist/bench/run.js ${process.argv.slice(2).join(' ')}\``, '');
const text = out.join('\n');
process.stdout.write(text + '\n');
if (opts.out) await writeFile(opts.out, text + '\n');
