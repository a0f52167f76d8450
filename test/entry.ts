// How tests start our own programs as subprocesses. Under `npm test` (which
// builds first) they run the compiled JavaScript in dist/, as users do and
// without a TypeScript compile in every child: the CLI (src/cli.ts) as the
// bundle that package.json's `bin` points at (scripts/bundle.mjs), other
// programs as tsc emitted them. An ad-hoc `npx ava` runs the sources through
// tsx so no stale build is ever tested.

import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const compiled = process.env.npm_lifecycle_event === 'test';

/** What users run for src/cli.ts: the bundle. */
const BUNDLED: Readonly<Record<string, string>> = { 'src/cli.ts': 'dist/bundle/bgp-speaker.js' };

/** Node arguments that run the repo file `rel` (a .ts path under src/ or test/). */
export function nodeArgs(rel: string): string[] {
  if (!compiled) return ['--import', 'tsx', rel];
  return [BUNDLED[rel] ?? `dist/${rel.replace(/\.ts$/, '.js')}`];
}
