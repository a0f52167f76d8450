// Modules loaded on first use instead of at start: code that most runs
// never call (ip-address for IPv6 text, the yaml package for a document
// js-yaml rejects, node:crypto, koffi for TCP MD5) costs every start its
// load time and memory otherwise. Package names resolve from this file, so
// from the package's own node_modules, in the bundle (scripts/bundle.mjs
// leaves these packages out of it) as in dist/src.

import { createRequire } from 'node:module';

/** A function that requires `id` the first time it is called and returns the same module after; a failed load throws and is tried again next call. */
export function onFirstUse<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= createRequire(import.meta.url)(id) as T);
}
