// The real-peer harness in one import: BIRD 2, GoBGP and FRR daemons as BGP
// peers on loopback or in network namespaces, the helpers to start, query
// and stop them, and the CI rule that a missing peer fails instead of
// skipping. See proc.ts for the leak guards (RFC-neutral plumbing).

export { freePort, waitFor, startProcess, run, runOk, uniqueName, makeTempDir, removeDir, onExitSync } from './proc.js';
export type { Proc, StartOptions, RunResult, WaitOptions } from './proc.js';
export { peerAvailable, testWithPeer, requirePeer, missingBinaries, KUBECTL } from './available.js';
export type { PeerName } from './available.js';
export * from './bird.js';
export * from './gobgp.js';
export { createLan } from './netns.js';
export type { Lan, LanHost, LanOptions } from './netns.js';
export { startFrr, frrConfig, parseFrrRib, parseFrrNeighbors } from './frr.js';
export type { FrrOptions, FrrNeighbor, FrrPath, FrrNeighborState, FrrHandle } from './frr.js';
