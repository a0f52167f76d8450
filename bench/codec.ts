// Codec micro-benchmarks: UPDATE encoding (the Adj-RIB-Out batch -> UPDATE
// messages of src/bgp/update-packer.ts packBatch) and decoding
// (src/bgp/wire decodeUpdate over every framed UPDATE), in prefixes per
// second, for a W1-shaped table (one next hop: big UPDATEs) and a W2-shaped
// one (a next hop per prefix: one UPDATE per prefix). RFC 4271 §4.3; 4096-
// octet messages (no RFC 8654). Also the text -> Prefix parse of the table.
//
//   node dist/bench/codec.js [--reps 5]

import type { Prefix } from '../src/bgp/prefix.js';
import { RouteTable } from '../src/bgp/routes.js';
import { ChunkWriter, packBatch, type PackContext } from '../src/bgp/update-packer.js';
import { sessionPackContext } from '../src/bgp/advertiser.js';
import { MAX_MESSAGE_LENGTH } from '../src/bgp/wire/constants.js';
import { decodeUpdate, Framer } from '../src/bgp/wire/index.js';
import { summarize } from './lib/stats.js';
import { routes, WORKLOADS, type Workload } from './lib/workloads.js';

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 5;
const ctx4 = { as4: true, extendedMessage: false };

/** The advertiser's own packing context for an eBGP session, AS 65010 -> 65001. */
const packContext = (): PackContext => sessionPackContext(65010, 65001, ctx4);

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function bench(w: Workload): string {
  const specs = [...routes(w)].map((r) => ({ prefix: r.prefix, nextHop: r.nextHop }));
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

const lines = [
  `### Codec (median of ${reps}, prefixes per second)`,
  '',
  '| table | UPDATEs | MB | parse text → Prefix /s | encode (packBatch) /s | decode (framer + decodeUpdate) /s |',
  '| --- | --- | --- | --- | --- | --- |',
];
for (const name of ['W1-100k', 'W1-1M', 'W2-5k', 'W2-20k'] as const) lines.push(bench(WORKLOADS[name]));
process.stdout.write(lines.join('\n') + '\n');
