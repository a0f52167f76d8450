// A cluster in a test: the test API server, a BIRD 2 peer on loopback with
// one passive neighbor per agent address (TCP MD5 when a password is given),
// Nodes whose InternalIP is the agent's 127.0.0.x address, and in-process
// agents with distinct node names. Everything is stopped at teardown.

import type { ExecutionContext } from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { startAgent, type Agent, type AgentOptions } from '../../src/controller/agent.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { startApiServer, type ApiServer } from '../kube/server.js';
import { freePort, startBird, waitFor, type BirdHandle } from '../peers/index.js';

export const LOCAL_AS = 65010;
export const PEER_AS = 65001;

export function testLog(name: string) {
  return process.env.AGENT_TEST_LOG ? createLogger({ name, level: 'debug', stream: process.stderr }) : silentLogger();
}

export interface NodeSpec {
  name: string;
  ip: string;
  podCIDR?: string;
  labels?: Record<string, string>;
}

export function nodeObject(n: NodeSpec): Record<string, unknown> {
  return {
    metadata: { name: n.name, labels: n.labels ?? { lan: 'a' } },
    spec: n.podCIDR ? { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] } : {},
    status: {
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

export function peerObject(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'network.openyurt.io/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name },
    spec: { localAsNumber: LOCAL_AS, peerAsNumber: PEER_AS, peerIP: '127.0.0.1', nodeSelector: 'lan=a', ...spec },
  };
}

export function secretObject(name: string, password: string): Record<string, unknown> {
  return { type: 'Opaque', data: { password: Buffer.from(password).toString('base64') } };
}

export async function apiServer(t: ExecutionContext): Promise<ApiServer> {
  const s = await startApiServer();
  t.teardown(() => s.close());
  return s;
}

export function kubeConfigOf(s: ApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(s.kubeconfigPath);
  return kc;
}

/** BIRD on 127.0.0.1:<free port>, passive, one neighbor per address (named n<last octet>). */
export async function bird(t: ExecutionContext, addresses: string[], password?: string): Promise<{ bird: BirdHandle; port: number; protocolOf: (ip: string) => string }> {
  const port = await freePort();
  const protocolOf = (ip: string) => `n${ip.split('.').join('_')}`;
  const b = await startBird({
    routerId: '127.0.0.1',
    localAs: PEER_AS,
    listen: { address: '127.0.0.1', port },
    neighbors: addresses.map((a) => ({
      name: protocolOf(a),
      address: a,
      as: LOCAL_AS,
      passive: true,
      ...(password !== undefined ? { password } : {}),
      importAll: true,
    })),
  });
  t.teardown(() => b.stop());
  return { bird: b, port, protocolOf };
}

export async function agent(t: ExecutionContext, s: ApiServer, nodeName: string, extra: Partial<AgentOptions> = {}): Promise<Agent> {
  const a = await startAgent({
    kubeconfig: kubeConfigOf(s),
    nodeName,
    log: testLog(nodeName),
    connectTimeout: 2,
    statusRefreshMs: 500,
    informerBackoff: { firstMs: 200, maxMs: 1000 },
    ...extra,
  });
  t.teardown(() => a.stop('deconfigure'));
  return a;
}

/** BIRD's routes as "prefix via nextHop from protocol", sorted. */
export async function birdTable(b: BirdHandle): Promise<string[]> {
  const routes = await b.routes('master4');
  return routes.map((r) => `${r.prefix} via ${r.nextHop} from ${r.fromProtocol}`).sort();
}

export async function waitTable(b: BirdHandle, want: string[], what: string, timeoutMs = 20000): Promise<void> {
  const expected = [...want].sort();
  await waitFor(
    async () => {
      const got = await birdTable(b);
      return { ok: JSON.stringify(got) === JSON.stringify(expected), value: got };
    },
    { what, timeoutMs, intervalMs: 200 },
  );
}

export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
  await waitFor(async () => ({ ok: await check(), value: what }), { what, timeoutMs, intervalMs: 100 });
}

export function peerStatus(s: ApiServer, name: string): any {
  return s.store.get('BGPPeer', '', name)?.status;
}

export function eventsOf(s: ApiServer, peer: string, reason?: string): any[] {
  return s.store
    .list('Event', 'default')
    .filter((e) => e.involvedObject?.name === peer && (reason === undefined || e.reason === reason));
}
