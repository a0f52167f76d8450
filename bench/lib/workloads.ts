// The benchmark workloads as route lists, identical for every sender:
// W1 = N /24 prefixes sharing one next hop (a full-table-like load: few
//      attribute sets, big UPDATEs), from 32.0.0.0/24 upwards;
// W2 = N /24 pod CIDRs from 10.0.0.0/24 upwards, each with its own next hop
//      (one Node per prefix: one attribute set, so one UPDATE, per prefix).

export type WorkloadName = 'W1-100k' | 'W1-1M' | 'W2-5k' | 'W2-20k' | 'W1-100k-x3';

export interface Workload {
  readonly name: WorkloadName;
  /** Number of prefixes the receiver must end up holding. */
  readonly n: number;
  /** true: every prefix has its own next hop (W2). */
  readonly perPrefixNextHop: boolean;
  /** Sessions the sender runs, each to its own receiver protocol and each with all N routes. Default 1. */
  readonly sessions?: number;
}

export const WORKLOADS: Record<WorkloadName, Workload> = {
  'W1-100k': { name: 'W1-100k', n: 100_000, perPrefixNextHop: false },
  'W1-1M': { name: 'W1-1M', n: 1_000_000, perPrefixNextHop: false },
  'W2-5k': { name: 'W2-5k', n: 5_000, perPrefixNextHop: true },
  'W2-20k': { name: 'W2-20k', n: 20_000, perPrefixNextHop: true },
  // The memory target for several peers (two switches and a route reflector, say).
  'W1-100k-x3': { name: 'W1-100k-x3', n: 100_000, perPrefixNextHop: false, sessions: 3 },
};

/** The one next hop of W1 (TEST-NET-1, RFC 5737): a third-party next hop for every sender. */
export const W1_NEXT_HOP = '192.0.2.1';

function quad(x: number): string {
  return `${(x >>> 24) & 255}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}

/** The i-th prefix of the workload. */
export function prefixOf(w: Workload, i: number): string {
  // W1 from 32.0.0.0 (room for 2^24 /24s); W2 pod CIDRs from 10.0.0.0 (65,536 /24s).
  const base = w.perPrefixNextHop ? 0x0a000000 : 0x20000000;
  return `${quad(base + i * 256)}/24`;
}

/** The i-th prefix's next hop: W1 shares one; W2's node i sits at 172.16.0.0 + i + 1. */
export function nextHopOf(w: Workload, i: number): string {
  return w.perPrefixNextHop ? quad(0xac100000 + i + 1) : W1_NEXT_HOP;
}

export function* routes(w: Workload): Generator<{ prefix: string; nextHop: string; i: number }> {
  for (let i = 0; i < w.n; i++) yield { prefix: prefixOf(w, i), nextHop: nextHopOf(w, i), i };
}

/** The workload's routes as the speaker takes them (RouteSpec: prefix and next hop). */
export function routeSpecs(w: Workload): { prefix: string; nextHop: string }[] {
  return [...routes(w)].map((r) => ({ prefix: r.prefix, nextHop: r.nextHop }));
}
