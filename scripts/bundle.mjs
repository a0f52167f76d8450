// Bundles the CLI (src/cli.ts and everything it imports, with bunyan,
// commander and js-yaml) into dist/bundle/: one entry file,
// bgp-speaker.js, plus the chunks that code splitting makes for modules
// loaded on demand (the cluster agent of `bgp-speaker run`). Node then loads a
// handful of files instead of some sixty of ours and the packages' own, which
// takes most of the start-up time of a small command (`--help`).
//
// Left out and loaded from node_modules at run time, as before:
// - koffi (native code, required lazily by src/bgp/tcp-md5.ts for TCP MD5);
// - @kubernetes/client-node (large, imported lazily by `bgp-speaker run`);
// - yaml (260 kB, required lazily by src/controller/yaml.ts, only for a
//   document that js-yaml rejects or one with anchors);
// - ip-address (required lazily by src/bgp/prefix.ts, for IPv6 and for
//   IPv4 text other than a plain dotted quad).
// Bundled CommonJS modules call require() for Node built-ins; an ES module
// has no require, so a banner defines one for every output file. That
// require refuses three optional dependencies of bunyan, which bunyan tries
// inside a try/catch and does without: dtrace-provider (DTrace probes),
// mv (the "rotating-file" stream) and source-map-support (the `src` field).
// We use none of those features, and loading them (mv alone pulls in
// rimraf, glob, ncp and mkdirp) cost start-up time on every run.
// safe-json-stringify, bunyan's fallback for records with cycles, is bundled.
// It also defers node:child_process, which commander requires at load time
// but calls only to run a subcommand as a separate executable (we have
// none): the module is loaded when a property of it is first read, so a
// start does not pay for it.
//
// Usage: node scripts/bundle.mjs   (run by `npm run build` after tsc)

import { build } from 'esbuild';
import { rm, stat, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'bundle');

const EXTERNAL = ['koffi', '@kubernetes/client-node', 'yaml', 'ip-address'];
/** Node built-ins that bundled packages require at load time but rarely use: loaded on first property access. */
const DEFERRED = ['node:child_process'];
/** Optional dependencies of bunyan that the bundle's require() reports as missing. */
const REFUSED = ['dtrace-provider', 'mv', 'source-map-support'];

const banner = [
  "import { createRequire as __bgpCreateRequire } from 'node:module';",
  'const __bgpRequire = __bgpCreateRequire(import.meta.url);',
  `const __bgpRefused = new Set(${JSON.stringify(REFUSED)});`,
  `const __bgpDeferred = new Set(${JSON.stringify(DEFERRED)});`,
  'const require = Object.assign((id) => {',
  '  if (__bgpDeferred.has(id)) {',
  '    let loaded;',
  '    return new Proxy({}, { get: (_, key) => (loaded ??= __bgpRequire(id))[key] });',
  '  }',
  '  if (!__bgpRefused.has(id)) return __bgpRequire(id);',
  "  throw Object.assign(new Error(`Cannot find module '${id}' (not used by bgp-speaker)`), { code: 'MODULE_NOT_FOUND' });",
  '}, { resolve: __bgpRequire.resolve, cache: __bgpRequire.cache });',
].join('\n');

await rm(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'bgp-speaker': 'src/cli.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...EXTERNAL, ...REFUSED],
  banner: { js: banner },
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});

let total = 0;
const files = [];
for (const dir of [outdir, join(outdir, 'chunks')]) {
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.js')) continue;
    const { size } = await stat(join(dir, f));
    total += size;
    files.push(f);
  }
}
process.stdout.write(`bundle: dist/bundle/bgp-speaker.js and ${files.length - 1} chunk(s), ${(total / 1024).toFixed(0)} KiB of JavaScript\n`);
