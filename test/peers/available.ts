// Which real BGP peers (BIRD 2, GoBGP, FRR) and tools this machine has, and
// how tests react when one is missing: skipped on a laptop, failed loudly in
// CI (CI=true), so a broken CI image can never turn into green skips.

import { accessSync, constants } from 'node:fs';
import test, { type ExecutionContext, type TestFn } from 'ava';

export type PeerName = 'bird' | 'gobgp' | 'frr' | 'netns' | 'tcpdump' | 'kubectl';

/** kubectl, for the tests run against the test API server. */
export const KUBECTL = process.env.KUBECTL_BIN ?? '/usr/bin/kubectl';

const binaries: Record<PeerName, string[]> = {
  bird: [process.env.BIRD_BIN ?? '/usr/sbin/bird', process.env.BIRDC_BIN ?? '/usr/sbin/birdc'],
  gobgp: [process.env.GOBGPD_BIN ?? '/usr/bin/gobgpd', process.env.GOBGP_BIN ?? '/usr/bin/gobgp'],
  frr: ['/usr/lib/frr/bgpd', '/usr/lib/frr/zebra', '/usr/bin/vtysh'],
  netns: ['/usr/sbin/ip', '/bin/ip'],
  tcpdump: ['/usr/bin/tcpdump', '/usr/sbin/tcpdump'],
  kubectl: [KUBECTL],
};

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Names of the missing binaries for a peer ([] when all are present). */
export function missingBinaries(name: PeerName): string[] {
  const paths = binaries[name];
  // netns and tcpdump: any one of the candidate paths will do.
  if (name === 'netns' || name === 'tcpdump') return paths.some(executable) ? [] : [paths.join(' or ')];
  return paths.filter((p) => !executable(p));
}

export function peerAvailable(name: PeerName): boolean {
  // Network namespaces need root as well as `ip`.
  if (name === 'netns' && process.getuid?.() !== 0) return false;
  return missingBinaries(name).length === 0;
}

function inCi(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function missingMessage(name: PeerName): string {
  const m = missingBinaries(name);
  const why = m.length ? `missing ${m.join(', ')}` : 'needs root';
  const what = name === 'bird' || name === 'gobgp' || name === 'frr' ? 'real peer' : 'tool';
  return `${what} "${name}" is not available (${why}); run scripts/install-peers.sh`;
}

/**
 * `test` when the peer is installed, `test.skip` otherwise; in CI always
 * `test`, so the test runs and requirePeer() fails it with a clear message.
 */
export function testWithPeer(...names: PeerName[]): TestFn {
  return runsWith(test, names);
}

/** testWithPeer for tests that must not run alongside the others (`test.serial`). */
export function serialTestWithPeer(...names: PeerName[]): TestFn {
  return runsWith(test.serial as TestFn, names);
}

function runsWith(fn: TestFn, names: PeerName[]): TestFn {
  if (inCi() || names.every(peerAvailable)) return fn;
  return fn.skip as unknown as TestFn;
}

/**
 * Call first in a test body. Fails the test and returns false when the peer
 * is missing, so the test can `return` early. Outside CI a test declared
 * with testWithPeer is skipped before it gets here; one that gets here
 * without its peer fails rather than passing with nothing checked.
 */
export function requirePeer(t: ExecutionContext, ...names: PeerName[]): boolean {
  const missing = names.filter((n) => !peerAvailable(n));
  if (missing.length === 0) return true;
  const msg = missing.map(missingMessage).join('; ');
  t.fail(inCi() ? `CI=true and ${msg}` : `${msg} (declare the test with testWithPeer to skip it instead)`);
  return false;
}
