// How tests start our own programs as subprocesses. Under `npm test` (which
// builds first) they run the compiled JavaScript in dist/, as users do and
// without a TypeScript compile in every child; an ad-hoc `npx ava` runs the
// sources through tsx so no stale build is ever tested.

import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const compiled = process.env.npm_lifecycle_event === 'test';

/** Node arguments that run the repo file `rel` (a .ts path under src/ or test/). */
export function nodeArgs(rel: string): string[] {
  return compiled ? [`dist/${rel.replace(/\.ts$/, '.js')}`] : ['--import', 'tsx', rel];
}
