// Codec micro-benchmarks: UPDATE encoding (the Adj-RIB-Out batch -> UPDATE
// messages of src/bgp/update-packer.ts packBatch) and decoding
// (src/bgp/wire decodeUpdate over every framed UPDATE), in prefixes per
// second, for a W1-shaped table (one next hop: big UPDATEs) and a W2-shaped
// one (a next hop per prefix: one UPDATE per prefix). RFC 4271 §4.3; 4096-
// octet messages (no RFC 8654). Also the text -> Prefix parse of the table.
//
// The rates above are of code V8 has compiled. The first packing in a
// process runs before that, and it is what a session's initial table
// costs; so each table is also packed four times over in fresh processes
// (`--fresh`, each one a child started here), through the Adj-RIB-Out in
// batches that grow as the advertiser's do, and the time of each round is
// printed.
//
//   node dist/bench/codec.js [--reps 5] [--fresh 5]

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Prefix } from '../src/bgp/prefix.js';
import { RouteTable } from '../src/bgp/routes.js';
import { ChunkWriter, packBatch, type PackContext } from '../src/bgp/update-packer.js';
import { sessionPackContext } from '../src/bgp/advertiser.js';
import { MAX_MESSAGE_LENGTH } from '../src/bgp/wire/constants.js';
import { decodeUpdate, Framer } from '../src/bgp/wire/index.js';
import { fmt, summarize } from './lib/stats.js';
import { packInitialTable } from './lib/pack.js';
import { routeSpecs, WORKLOADS, type Workload, type WorkloadName } from './lib/workloads.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const reps = Number(arg('--reps')) || 5;
const freshRuns = Number(arg('--fresh') ?? 5);
if (!Number.isInteger(freshRuns) || freshRuns < 0) throw new Error(`--fresh: a number of processes, 0 or more, not ${arg('--fresh')}`);
/** The packing rounds a fresh process times. */
const ROUNDS = 4;
const ctx4 = { as4: true, extendedMessage: false };

/** The advertiser's own packing context for an eBGP session, AS 65010 -> 65001. */
const packContext = (): PackContext => sessionPackContext(65010, 65001, ctx4);

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function bench(w: Workload): string {
  const specs = routeSpecs(w);
  let table = new RouteTable();
  const parse = summarize(
    Array.from({ length: reps }, () =>
      time(() => {
        table = new RouteTable();
        table.set(specs);
      }),
    ),
  );
  const announce = table.prefixes.slice(0, table.end) as Prefix[];
  const hops = announce.map((_, slot) => table.hop(slot));
  let chunks: Buffer[] = [];
  const encode = summarize(
    Array.from({ length: reps }, () =>
      time(() => {
        const out = new ChunkWriter();
        packBatch({ announce, hops, withdraw: [] }, packContext(), out);
        chunks = out.flush();
      }),
    ),
  );
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  let messages = 0;
  let decoded = 0;
  const decode = summarize(
    Array.from({ length: reps }, () =>
      time(() => {
        const framer = new Framer(MAX_MESSAGE_LENGTH);
        messages = 0;
        decoded = 0;
        for (const c of chunks) {
          framer.push(c);
          for (let f = framer.next(); f !== null; f = framer.next()) {
            decoded += decodeUpdate(f.body, ctx4).nlri.length;
            messages++;
          }
        }
      }),
    ),
  );
  if (decoded !== w.n) throw new Error(`${w.name}: decoded ${decoded} prefixes, encoded ${w.n}`);
  const rate = (s: ReturnType<typeof summarize>): string => (s ? `${Math.round(w.n / s.median / 1000).toLocaleString('en')}k` : '—');
  return `| ${w.name} | ${messages.toLocaleString('en')} | ${(bytes / 1e6).toFixed(2)} | ${rate(parse)} | ${rate(encode)} | ${rate(decode)} |`;
}

/**
 * In a child process (`--round-child W`): the table of workload W packed
 * ROUNDS times as a session's initial table is (lib/pack.ts); prints the
 * milliseconds of each round as JSON.
 */
function packRounds(w: Workload): number[] {
  const table = new RouteTable();
  table.set(routeSpecs(w));
  // One packing context, as one session has.
  const ctx = packContext();
  const ms: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t = performance.now();
    const octets = packInitialTable(table, ctx).reduce((n, c) => n + c.length, 0);
    ms.push(performance.now() - t);
    if (octets === 0) throw new Error(`${w.name}: nothing packed`);
  }
  return ms;
}

const child = arg('--round-child');
if (child !== undefined) {
  const w = WORKLOADS[child as WorkloadName] as Workload | undefined;
  if (!w) throw new Error(`--round-child: no workload ${child}`);
  process.stdout.write(JSON.stringify(packRounds(w)));
  process.exit(0);
}

/** The table's rounds in `freshRuns` fresh processes, one after another: a markdown row. */
function freshRow(name: WorkloadName): string {
  const runs = Array.from({ length: freshRuns }, () =>
    JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--round-child', name], { encoding: 'utf8' })) as number[],
  );
  const cells = Array.from({ length: ROUNDS }, (_, r) => fmt(summarize(runs.map((ms) => ms[r]!)), 1));
  return `| ${name} | ${cells.join(' | ')} |`;
}

const lines = [
  `### Codec (median of ${reps}, prefixes per second)`,
  '',
  '| table | UPDATEs | MB | parse text → Prefix /s | encode (packBatch) /s | decode (framer + decodeUpdate) /s |',
  '| --- | --- | --- | --- | --- | --- |',
];
for (const name of ['W1-100k', 'W1-1M', 'W2-5k', 'W2-20k'] as const) lines.push(bench(WORKLOADS[name]));
if (freshRuns > 0) {
  lines.push(
    '',
    `### Packing a table in a fresh process (ms per round, median and range of ${freshRuns} processes)`,
    '',
    `| table | ${Array.from({ length: ROUNDS }, (_, r) => `round ${r + 1}`).join(' | ')} |`,
    `| --- |${' --- |'.repeat(ROUNDS)}`,
  );
  for (const name of ['W1-100k', 'W2-5k', 'W2-20k'] as const) lines.push(freshRow(name));
}
process.stdout.write(lines.join('\n') + '\n');
