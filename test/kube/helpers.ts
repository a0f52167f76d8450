// Helpers for tests against the test API server: start one per test with
// teardown, send raw HTTP requests, and build BGPPeer objects.

import type { ExecutionContext } from 'ava';
import { startApiServer, type ApiServer, type ApiServerOptions } from './server.js';

export const group = 'network.openyurt.io';
export const version = 'v1alpha1';
export const peersPath = `/apis/${group}/${version}/bgppeers`;

export async function serverFor(t: ExecutionContext, opts?: ApiServerOptions): Promise<ApiServer> {
  const server = await startApiServer(opts);
  t.teardown(() => server.close());
  return server;
}

export interface RawResponse {
  status: number;
  body: any;
}

export async function raw(server: ApiServer, method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(body !== undefined ? { 'content-type': contentType } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

export function bgpPeer(name: string, spec: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    apiVersion: `${group}/${version}`,
    kind: 'BGPPeer',
    metadata: { name },
    spec: { localSpeakers: ['node-1', 'node-2'], localAsNumber: 65010, peerIP: '172.16.0.1', peerAsNumber: 65001, ...spec },
    ...extra,
  };
}

/** Waits until check() is true, polling every 10 ms, or fails after ms. */
export async function until(check: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
