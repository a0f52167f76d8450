// Builders of BGPPeer, Secret and Node objects for the controller tests:
// each call returns a fresh object, so tests never share state.

import type { RouteSpec, SessionSpec } from '../../src/bgp/index.js';
import type { DesiredState } from '../../src/controller/desired-state.js';
import type { BGPPeer, BGPPeerSpec, Node, ObjectSet, Secret } from '../../src/controller/resources.js';

export function bgpPeer(name: string, spec: Partial<BGPPeerSpec> & Record<string, unknown> = {}): BGPPeer {
  return {
    apiVersion: 'network.openyurt.io/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name },
    spec: { localAsNumber: 65010, peerIP: '172.16.0.1', peerAsNumber: 65001, ...spec } as BGPPeerSpec,
  };
}

export interface NodeOptions {
  ips?: string[];
  podCIDRs?: string[];
  podCIDR?: string;
  ready?: boolean;
  labels?: Record<string, string>;
}

export function node(name: string, o: NodeOptions = {}): Node {
  const spec: NonNullable<Node['spec']> = {};
  if (o.podCIDR !== undefined) spec.podCIDR = o.podCIDR;
  if (o.podCIDRs !== undefined) spec.podCIDRs = o.podCIDRs;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: o.labels ?? {} },
    spec,
    status: {
      addresses: [...(o.ips ?? []).map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }],
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

export function secret(
  name: string,
  o: { data?: Record<string, string>; stringData?: Record<string, string>; namespace?: string | null } = {},
): Secret {
  const s: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, ...(o.namespace === null ? {} : { namespace: o.namespace ?? 'kube-system' }) },
  };
  if (o.data) s.data = o.data;
  if (o.stringData) s.stringData = o.stringData;
  return s;
}

export function objects(o: Partial<ObjectSet>): ObjectSet {
  return { bgpPeers: o.bgpPeers ?? [], secrets: o.secrets ?? [], nodes: o.nodes ?? [] };
}

export function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** n nodes node-0..node-(n-1) with IPv4 InternalIPs and /24 pod CIDRs from 10.(i>>8).(i&255).0/24. */
export function manyNodes(n: number, labels: Record<string, string> = {}): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      node(`node-${i}`, {
        ips: [`172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`],
        podCIDRs: [`10.${i >> 8}.${i & 255}.0/24`],
        labels,
      }),
    );
  }
  return out;
}

/** Routes as prefix and next-hop text only (without the parsed prefix objects they carry). */
export function routePairs(routes: readonly RouteSpec[]): { prefix: string; nextHop: string }[] {
  return routes.map((r) => ({ prefix: r.prefix, nextHop: r.nextHop }));
}

/** Sessions with their routes as routePairs. */
export function plainSessions(sessions: readonly SessionSpec[]): SessionSpec[] {
  return sessions.map((s) => ({ ...s, routes: routePairs(s.routes) }));
}

/**
 * A desired state with its routes as routePairs, after checking that each
 * route's parsed prefix (when it has one) is the prefix its text names: two
 * equal states may carry the prefix object of different but equal claims.
 */
export function plainState(d: DesiredState): DesiredState {
  for (const s of d.sessions) {
    for (const r of s.routes) {
      if (r.parsed !== undefined && r.parsed.key !== r.prefix) throw new Error(`route ${r.prefix} carries the parsed prefix ${r.parsed.key}`);
    }
  }
  return { ...d, sessions: plainSessions(d.sessions) };
}
