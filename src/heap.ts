// The V8 heap setting of a bgp-speaker process. V8 doubles the young
// generation (two semi-spaces, 1 MiB each at start) up to 16 MiB each
// whenever many young objects survive a scavenge, and loading a route table
// is exactly that: every route object lives on. The young generation then
// holds 32 MiB of RSS that is mostly empty once the table is loaded
// (W1-100k: 32 of 163 MB peak). Keeping the semi-spaces at their start size
// costs more scavenges of 1 MiB each, which were not measurable in the
// benchmarks (docs/benchmarks.md), and takes 20 MB off the peak.
//
// The flag is read each time V8 would grow the young generation, so it
// takes effect when set at run time, before the first table is loaded
// (checked on Node.js 20 and 26). A flag given on the command line or in
// NODE_OPTIONS wins.

import { setFlagsFromString } from 'node:v8';

const YOUNG_GENERATION_FLAGS = /--(max-semi-space-size|min-semi-space-size|semi-space-growth-factor)\b/;

/** Keeps V8's young generation at its start size unless the user set it. */
export function keepYoungGenerationSmall(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => YOUNG_GENERATION_FLAGS.test(a));
  if (!given) setFlagsFromString('--semi-space-growth-factor=1');
}
