// The Kubernetes API calls the agent makes, behind one small interface so
// status.ts and events.ts can be tested against a fake: paged lists of
// BGPPeers, Nodes and kube-system Secrets, JSON merge patches (RFC 7386) of
// bgppeers/status, and get/create/patch of core/v1 Events.
//
// Plain HTTP(S) requests with JSON bodies, without @kubernetes/client-node:
// loading that package takes most of a second, and the agent starts its BGP
// sessions from a few GETs before it has loaded it (agent.ts); its lists
// are read with JSON.parse and trimmed page by page, not deserialized into
// client-node's model classes first (which cost ~0.4 s for 20,000 Nodes).
// A KubeEndpoint says where the API server is and adds TLS material and the
// Authorization header to each request: read from the service account or a
// kubeconfig by kube-endpoint.ts, or from client-node's KubeConfig
// (endpointOf). Nothing here keeps state but the endpoint's keep-alive
// connections.

import http from 'node:http';
import https from 'node:https';
import type { CoreV1Event, KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { GROUP, PLURAL, SECRET_NAMESPACE, VERSION } from './resources.js';

/** Items per page of a list; client-go's reflector uses 500 too. */
export const PAGE_SIZE = 500;

/** How long one request may take, ms (a page of a large list included). */
const REQUEST_TIMEOUT_MS = 60_000;

/** Where the API server is and how a request authenticates. */
export interface KubeEndpoint {
  /** Base URL, e.g. https://10.96.0.1:443 (a path prefix is kept). */
  readonly server: string;
  /**
   * Adds TLS material (ca, cert, key, rejectUnauthorized, servername) and
   * headers (Authorization) to one request's options. Called per request,
   * so rotated service-account tokens are picked up.
   */
  apply(opts: https.RequestOptions): Promise<void> | void;
  /** Keep the agent that apply() set (a proxy); default: a keep-alive agent of this module. */
  readonly ownAgent?: boolean;
}

/** An endpoint from client-node's KubeConfig: its current cluster and user, every auth method it knows. */
export function endpointOf(kc: KubeConfig): KubeEndpoint {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig: no current cluster');
  return { server: cluster.server, apply: (opts) => kc.applyToHTTPSOptions(opts), ownAgent: cluster.proxyUrl !== undefined };
}

export interface KubeApi {
  /** First list of a kind: resourceVersion=0 lets the API server answer from its watch cache. */
  listBGPPeers(opts?: ListOptions): Promise<KubernetesListObject<KubernetesObject>>;
  listNodes(opts?: ListOptions): Promise<KubernetesListObject<KubernetesObject>>;
  listSecrets(opts?: ListOptions): Promise<KubernetesListObject<KubernetesObject>>;
  /** JSON merge patch of bgppeers/<name>/status; resolves to the patched object. */
  patchBGPPeerStatus(name: string, body: object): Promise<unknown>;
  getEvent(namespace: string, name: string): Promise<CoreV1Event>;
  createEvent(namespace: string, body: CoreV1Event): Promise<CoreV1Event>;
  /** JSON merge patch of an Event. */
  patchEvent(namespace: string, name: string, body: object): Promise<CoreV1Event>;
  /** Closes idle keep-alive connections. */
  close(): void;
}

export interface ListOptions {
  /** e.g. `metadata.name=node-1`. */
  readonly fieldSelector?: string;
  /**
   * "0": any version, served from the API server's watch cache (client-go's
   * reflector lists so at first); unset: the most recent (a re-list after
   * 410 Gone must not go back in time).
   */
  readonly resourceVersion?: string;
  /** Applied to each item as its page arrives, so a page's unused fields are garbage at once. */
  readonly trim?: (obj: KubernetesObject) => KubernetesObject;
}

/** The HTTP status of an error thrown by client-node (ApiException.code), if any. */
export function statusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** A short description of an API error for logs: status and the Status message, never the request. */
export function describeApiError(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown })?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = body.slice(0, 200);
    }
  } else if (typeof body === 'object' && body !== null) {
    message = (body as { message?: string }).message;
  }
  const base = message ?? (err instanceof Error ? err.message : String(err));
  return code !== undefined ? `HTTP ${code}: ${base}` : base;
}

type Page = KubernetesListObject<KubernetesObject>;

/**
 * Lists all pages (limit/continue) into one list carrying the first page's
 * resourceVersion: the snapshot the pages were served from, from which a
 * watch continues.
 */
export async function listAllPages(fetchPage: (cont: string | undefined) => Promise<Page>): Promise<Page> {
  // `continue` on the wire; client-node's model calls it `_continue`.
  const next = (p: Page): string | undefined => (p.metadata as { continue?: string } | undefined)?.continue ?? p.metadata?._continue;
  const first = await fetchPage(undefined);
  const items = [...(first.items ?? [])];
  let cont = next(first);
  while (cont) {
    const page = await fetchPage(cont);
    for (const it of page.items ?? []) items.push(it);
    cont = next(page);
  }
  const { continue: _c, _continue: _c2, remainingItemCount: _r, ...meta } = (first.metadata ?? {}) as Record<string, unknown>;
  return { ...first, items, metadata: meta };
}

/** An API error as client-node throws them: `code` the HTTP status, `body` the response text. */
function apiError(method: string, path: string, status: number, body: string): Error {
  return Object.assign(new Error(`HTTP ${status} from ${method} ${path}`), { code: status, body });
}

/** The real API over HTTP(S), authenticated by the endpoint. */
export function kubeApi(ep: KubeEndpoint): KubeApi {
  const base = ep.server.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });

  async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
    const opts: https.RequestOptions = { method, headers: { Accept: 'application/json' } };
    await ep.apply(opts);
    if (!ep.ownAgent || !opts.agent) opts.agent = agent;
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) opts.headers = { ...opts.headers, 'Content-Type': contentType, 'Content-Length': payload.length };
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(`${base}${path}`, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(apiError(method, path, status, text));
          try {
            resolve(text === '' ? undefined : JSON.parse(text));
          } catch (err) {
            reject(new Error(`${method} ${path}: response is not JSON: ${(err as Error).message}`));
          }
        });
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  const list = (path: string, o: ListOptions = {}): Promise<Page> =>
    listAllPages(async (cont) => {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (o.fieldSelector) q.set('fieldSelector', o.fieldSelector);
      // A continue token carries its own snapshot; the API server refuses a resourceVersion next to it.
      if (cont) q.set('continue', cont);
      else if (o.resourceVersion !== undefined) q.set('resourceVersion', o.resourceVersion);
      const page = (await call('GET', `${path}?${q}`)) as Page;
      if (!page || !Array.isArray(page.items)) throw new Error(`GET ${path}: the answer is not a list`);
      if (o.trim) page.items = page.items.map(o.trim);
      return page;
    });
  const merge = 'application/merge-patch+json';
  const events = (ns: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/events`;

  return {
    listBGPPeers: (o) => list(`/apis/${GROUP}/${VERSION}/${PLURAL}`, o),
    listNodes: (o) => list('/api/v1/nodes', o),
    listSecrets: (o) => list(`/api/v1/namespaces/${SECRET_NAMESPACE}/secrets`, o),
    patchBGPPeerStatus: (name, body) => call('PATCH', `/apis/${GROUP}/${VERSION}/${PLURAL}/${encodeURIComponent(name)}/status`, body, merge),
    getEvent: (ns, name) => call('GET', `${events(ns)}/${encodeURIComponent(name)}`),
    createEvent: (ns, body) => call('POST', events(ns), body),
    patchEvent: (ns, name, body) => call('PATCH', `${events(ns)}/${encodeURIComponent(name)}`, body, merge),
    close: () => agent.destroy(),
  };
}
