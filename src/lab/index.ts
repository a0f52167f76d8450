// The lab's public surface: the passive route collector that `bgp-speaker lab`,
// tests and benchmarks use as the receiving BGP peer (RFC 4271, RFC 4724 receiver).

export { Collector, type CollectorOptions, type CollectorPeer, type CollectedRoute, type CollectorSession } from './collector.js';
