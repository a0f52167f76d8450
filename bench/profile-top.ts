// Summarizes a V8 CPU profile (node --cpu-prof, or `npm run bench -- --profile DIR`):
// self and total time per function, top N, with file:line. Prints a table.
//
//   node dist/bench/profile-top.js FILE.cpuprofile [--top 30] [--from MS] [--to MS]
//
// --from/--to keep only samples in that window (ms since the profile started),
// to look at one phase (for example Established -> End-of-RIB).

import { readFileSync } from 'node:fs';
import { Command } from 'commander';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

const program = new Command()
  .argument('<file>')
  .option('--top <n>', 'rows', '30')
  .option('--from <ms>', 'window start, ms after profile start', '0')
  .option('--to <ms>', 'window end, ms after profile start', 'Infinity');
program.parse();
const opts = program.opts<{ top: string; from: string; to: string }>();
const prof = JSON.parse(readFileSync(program.args[0]!, 'utf8')) as Profile;

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (f: CallFrame): string => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;

const self = new Map<string, number>();
const total = new Map<string, number>();
const from = Number(opts.from) * 1000;
const to = Number(opts.to) * 1000;
let t = 0;
let inWindow = 0;
for (let i = 0; i < prof.samples.length; i++) {
  t += prof.timeDeltas[i]!;
  if (t < from || t > to) continue;
  const dt = prof.timeDeltas[i + 1] ?? 0;
  inWindow += dt;
  let id: number | undefined = prof.samples[i]!;
  const seen = new Set<string>();
  const leaf = label(byId.get(id)!.callFrame);
  self.set(leaf, (self.get(leaf) ?? 0) + dt);
  while (id !== undefined) {
    const l = label(byId.get(id)!.callFrame);
    if (!seen.has(l)) {
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + dt);
    }
    id = parent.get(id);
  }
}
const ms = (us: number): string => (us / 1000).toFixed(1);
const top = Number(opts.top);
process.stdout.write(`profile ${ms(prof.endTime - prof.startTime)} ms, window ${ms(inWindow)} ms sampled\n\nself ms | function\n`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${ms(v).padStart(7)} | ${k}\n`);
process.stdout.write(`\ntotal ms | function\n`);
for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${ms(v).padStart(8)} | ${k}\n`);
