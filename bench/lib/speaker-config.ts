// Writes the multi-document YAML that `bgp-speaker standalone` reads (a
// BGPPeer, the speaker's own Node and the Nodes whose pod CIDRs it
// advertises) straight as text, so a file of 20,000 Nodes or a million
// pod CIDRs takes milliseconds to produce.

import { nextHopOf, prefixOf, type Workload } from './workloads.js';

export interface NodeSpec {
  readonly name: string;
  readonly ip: string;
  readonly cidrs: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PeerSpec {
  readonly address: string;
  readonly port: number;
  readonly as: number;
}

export const SPEAKER_NODE = 'speaker';
export const LOCAL_AS = 65010;

function nodeDoc(n: NodeSpec): string {
  const labels = Object.entries(n.labels ?? {})
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
  const cidrs = n.cidrs.length ? `\nspec:\n  podCIDR: ${n.cidrs[0]}\n  podCIDRs: [${n.cidrs.join(', ')}]` : '';
  return `---
apiVersion: v1
kind: Node
metadata:
  name: ${n.name}
  labels: {${labels}}${cidrs}
status:
  addresses: [{type: InternalIP, address: ${n.ip}}]
  conditions: [{type: Ready, status: "True"}]
`;
}

/**
 * One BGPPeer for SPEAKER_NODE at `speakerIp` (one per port in `peer.ports`
 * when given: bench, bench2, ...), plus the given Nodes.
 */
export function speakerYaml(peer: PeerSpec & { readonly ports?: readonly number[] }, speakerIp: string, nodes: Iterable<NodeSpec>): string {
  const ports = peer.ports?.length ? peer.ports : [peer.port];
  const parts: string[] = ports.map(
    (port, i) => `${i > 0 ? '---\n' : ''}apiVersion: network.openyurt.io/v1alpha1
kind: BGPPeer
metadata:
  name: ${i === 0 ? 'bench' : `bench${i + 1}`}
spec:
  localSpeakers: [${SPEAKER_NODE}]
  localAsNumber: ${LOCAL_AS}
  peerIP: ${peer.address}
  peerPort: ${port}
  peerAsNumber: ${peer.as}
  nodeSelector: all()
`,
  );
  parts.push(nodeDoc({ name: SPEAKER_NODE, ip: speakerIp, cidrs: [] }));
  for (const n of nodes) parts.push(nodeDoc(n));
  return parts.join('');
}

/** The workload's Nodes: W1 is one Node holding every prefix; W2 one Node per prefix. */
export function* workloadNodes(w: Workload): Generator<NodeSpec> {
  if (!w.perPrefixNextHop) {
    const cidrs: string[] = new Array(w.n);
    for (let i = 0; i < w.n; i++) cidrs[i] = prefixOf(w, i);
    yield { name: 'pool', ip: nextHopOf(w, 0), cidrs };
    return;
  }
  for (let i = 0; i < w.n; i++) yield { name: `node-${i}`, ip: nextHopOf(w, i), cidrs: [prefixOf(w, i)] };
}
