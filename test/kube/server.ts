// A small Kubernetes API server for tests: it speaks the real HTTP API
// (discovery, list, watch, get, create, update, patch, delete, the status
// subresource, Table output for kubectl) over an in-memory store, for the
// resources our controller uses (nodes, secrets, events, namespaces and
// BGPPeers validated against crds/network.openyurt.io_bgppeers.yaml).
// It binds 127.0.0.1 on a free port, plain HTTP or HTTPS with a self-signed
// certificate, and requires a bearer token from the kubeconfig it writes; or
// HTTPS with a private CA that also signs a client certificate, which
// authenticates a request as the token does (the kubeconfig then names the
// CA, certificate and key files beside it, and holds no token).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { Api } from './api.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, serverVersion } from './discovery.js';
import { defaultResources, apiVersionOf, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { ApiError, badRequest, notFound } from './status.js';
import { Store, type Obj } from './store.js';
import { toTable, wantsTable } from './table.js';
import { clientCertPki, selfSignedCert } from './tls.js';
import { WatchStream } from './watch.js';

export interface ApiServerOptions {
  /** HTTPS with a self-signed certificate (falls back to HTTP without openssl). */
  tls?: boolean;
  /**
   * HTTPS with a private CA; a client certificate it signed authenticates
   * like the token. The kubeconfig uses certificate files. Throws without
   * openssl.
   */
  clientCert?: boolean;
  /** Bearer token the server requires; random by default. */
  token?: string;
  /** How often watches with allowWatchBookmarks get a BOOKMARK; default 1000 ms. */
  bookmarkIntervalMs?: number;
  /** Changes kept for watches before the oldest are compacted; default 10000. */
  maxHistory?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  accept?: string;
  contentType?: string;
  body?: unknown;
  status: number;
  watch: boolean;
  /** Subject CN of the verified client certificate the request came with. */
  clientCert?: string;
}

export interface ApiServer {
  readonly url: string;
  readonly kubeconfigPath: string;
  readonly token: string;
  /** PEM of the self-signed certificate in TLS mode, of the CA in client-certificate mode. */
  readonly ca?: string;
  readonly store: Store;
  readonly requests: RequestRecord[];
  /** Open watch streams. */
  readonly watchCount: number;
  /** Drops every connection and watch, keeps the data, listens again on the same port. */
  restart(): Promise<void>;
  /** Ends every watch stream (abrupt: cut the sockets instead of ending the responses). */
  dropWatches(opts?: { abrupt?: boolean }): void;
  /** Forgets the change history: watches from an earlier resourceVersion get 410 Gone. */
  compact(): void;
  /**
   * Holds the requests that `match` picks (recorded, not answered) until the
   * returned function is called; then they are served from the store as it
   * is then. Requests arriving after the release pass.
   */
  hold(match: (r: RequestRecord) => boolean): () => void;
  close(): Promise<void>;
}

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

interface Route {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  watch: boolean;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(text: string, contentType: string): unknown {
  if (text === '') return undefined;
  try {
    return /yaml/.test(contentType) && !/json/.test(contentType) ? parseYaml(text) : JSON.parse(text);
  } catch {
    throw badRequest(`the body of the request was in an unknown format`);
  }
}

class Handler {
  readonly store: Store;
  readonly api: Api;
  readonly requests: RequestRecord[] = [];
  readonly watches = new Set<WatchStream>();
  /** Holds set by ApiServer.hold: a request one of them picks waits for its release. */
  readonly holds = new Set<{ match: (r: RequestRecord) => boolean; released: Promise<void> }>();
  serverAddress = '';

  constructor(
    readonly resources: ResourceDef[],
    readonly token: string,
    readonly bookmarkIntervalMs: number,
    maxHistory: number,
    readonly requireAuth: boolean,
  ) {
    this.store = new Store(resources, maxHistory);
    this.api = new Api(this.store);
    for (const ns of systemNamespaces) this.api.create(this.store.resolve('namespaces'), '', { metadata: { name: ns } });
  }

  route(segments: string[], group: string, version: string): Route | undefined {
    const served = this.resources.filter((r) => r.group === group && r.version === version);
    let seg = segments;
    let watch = false;
    if (seg[0] === 'watch') {
      watch = true;
      seg = seg.slice(1);
    }
    let namespace: string | undefined;
    if (seg[0] === 'namespaces' && seg.length >= 3 && served.some((r) => r.plural === seg[2] && r.namespaced)) {
      namespace = seg[1];
      seg = seg.slice(2);
    }
    const def = served.find((r) => r.plural === seg[0]);
    if (!def || seg.length > 3 || (namespace === undefined && def.namespaced && seg.length > 1)) return undefined;
    return { def, namespace, name: seg[1], subresource: seg[2], watch };
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams);
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
      status: 0,
      watch: false,
    };
    this.requests.push(record);
    const reply = (status: number, body: unknown): void => {
      record.status = status;
      send(res, status, body);
    };
    const sock = req.socket as Partial<TLSSocket>;
    // Set only when the TLS handshake verified a certificate signed by our CA (clientCert mode).
    if (sock.authorized === true) {
      const cn = sock.getPeerCertificate?.().subject?.CN;
      record.clientCert = Array.isArray(cn) ? cn.join(',') : cn;
    }
    try {
      // Over plain HTTP kubectl sends no bearer token, like the old insecure port: only a wrong one is refused.
      const auth = req.headers.authorization;
      const byCert = record.clientCert !== undefined && auth === undefined;
      if (!byCert && auth !== `Bearer ${this.token}` && (auth !== undefined || this.requireAuth)) {
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      const text = await readBody(req);
      record.body = parseBody(text, record.contentType ?? 'application/json');
      record.watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' || url.pathname.includes('/watch/');
      for (const h of [...this.holds]) if (h.match(record)) await h.released;
      const out = this.dispatch(req, res, url, record);
      if (out !== undefined) reply(out[0], out[1]);
    } catch (e) {
      if (e instanceof ApiError) reply(e.code, e.toStatus());
      else if (e instanceof SelectorError) reply(400, badRequest(e.message).toStatus());
      else reply(500, new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error).stack}`).toStatus());
    }
  }

  /** Returns [status, body], or undefined when the response is a watch stream. */
  dispatch(req: IncomingMessage, res: ServerResponse, url: URL, record: RequestRecord): [number, unknown] | undefined {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    const parts = path.split('/').filter((p) => p !== '').map(decodeURIComponent);
    if (method === 'GET') {
      if (path === '/version') return [200, serverVersion];
      if (path === '/healthz' || path === '/readyz' || path === '/livez') return [200, 'ok'];
      if (path === '/api') return [200, apiVersions(this.serverAddress)];
      if (path === '/apis') return [200, apiGroupList(this.resources)];
      if (path === '/api/v1') return [200, apiResourceList(this.resources, '', 'v1')];
      if (parts[0] === 'apis' && parts.length === 2) {
        const versions = [...new Set(this.resources.filter((r) => r.group === parts[1]).map((r) => r.version))];
        if (versions.length) return [200, apiGroup(parts[1], versions)];
      }
      if (parts[0] === 'apis' && parts.length === 3) {
        const list = apiResourceList(this.resources, parts[1], parts[2]);
        if (list) return [200, list];
      }
    }
    let route: Route | undefined;
    if (parts[0] === 'api' && parts[1] === 'v1' && parts.length > 2) route = this.route(parts.slice(2), '', 'v1');
    if (parts[0] === 'apis' && parts.length > 3) route = this.route(parts.slice(3), parts[1], parts[2]);
    if (!route) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const q = url.searchParams;
    const { def, name, subresource } = route;
    const ns = def.namespaced ? route.namespace : '';
    if (subresource !== undefined && !(subresource === 'status' && def.statusSubresource)) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const isWatch = route.watch || q.get('watch') === '1' || q.get('watch') === 'true';
    const body = record.body as Obj;
    switch (method) {
      case 'GET':
        if (isWatch) {
          record.watch = true;
          record.status = 200;
          this.watch(res, route, q);
          return undefined;
        }
        if (name === undefined) return [200, this.list(def, route.namespace, q, record.accept)];
        return [200, this.get(def, ns ?? '', name, q, record.accept)];
      case 'POST':
        if (name !== undefined) break;
        if (def.namespaced && ns === undefined) break;
        return [201, this.api.create(def, ns ?? '', body)];
      case 'PUT':
        if (name === undefined) break;
        return [200, this.api.update(def, ns ?? '', name, body, subresource)];
      case 'PATCH':
        if (name === undefined) break;
        return [200, this.api.patch(def, ns ?? '', name, record.contentType ?? '', body, subresource)];
      case 'DELETE':
        if (name === undefined || subresource !== undefined) break;
        return [200, this.api.delete(def, ns ?? '', name, body)];
    }
    throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
  }

  get(def: ResourceDef, ns: string, name: string, q: URLSearchParams, accept?: string): unknown {
    const obj = this.store.get(def.plural, ns, name);
    if (!obj) throw notFound(def, name);
    if (wantsTable(accept)) return toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion }, q.get('includeObject') ?? undefined);
    return obj;
  }

  list(def: ResourceDef, namespace: string | undefined, q: URLSearchParams, accept?: string): unknown {
    const labels = parseLabelSelector(q.get('labelSelector'));
    const fields = parseFieldSelector(q.get('fieldSelector'), def.plural);
    // Stored objects are read in place and only the page handed out is copied, so a page costs its own size plus a scan.
    const all = this.store.scan(def.plural, namespace);
    const keyOf = (o: Obj): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const listMeta: Obj = { resourceVersion: String(this.store.resourceVersion) };
    const cont = q.get('continue');
    let from = 0;
    if (cont) {
      let token: { rv: string; after: string };
      try {
        token = JSON.parse(Buffer.from(cont, 'base64').toString('utf8'));
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      // The first key after token.after, by binary search over the sorted objects.
      let hi = all.length;
      while (from < hi) {
        const mid = (from + hi) >>> 1;
        if (keyOf(all[mid]!) > token.after) hi = mid;
        else from = mid + 1;
      }
      listMeta.resourceVersion = token.rv;
    }
    const limit = Number(q.get('limit') ?? 0);
    let items: Obj[] = [];
    let i = from;
    for (; i < all.length && (limit <= 0 || items.length < limit); i++) {
      const o = all[i]!;
      if (labels(o) && fields(o)) items.push(o);
    }
    if (limit > 0 && items.length === limit) {
      while (i < all.length && !(labels(all[i]!) && fields(all[i]!))) i++;
      if (i < all.length) {
        const after = keyOf(items[items.length - 1]!);
        listMeta.continue = Buffer.from(JSON.stringify({ rv: listMeta.resourceVersion, after })).toString('base64');
      }
    }
    items = items.map((o) => structuredClone(o));
    if (wantsTable(accept)) return toTable(def, items, listMeta, q.get('includeObject') ?? undefined);
    return { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: listMeta, items };
  }

  watch(res: ServerResponse, route: Route, q: URLSearchParams): void {
    const timeout = q.get('timeoutSeconds');
    const w = new WatchStream(
      this.store,
      res,
      {
        def: route.def,
        namespace: route.def.namespaced ? route.namespace : undefined,
        name: route.name,
        resourceVersion: q.get('resourceVersion') ?? undefined,
        labels: parseLabelSelector(q.get('labelSelector')),
        fields: parseFieldSelector(q.get('fieldSelector'), route.def.plural),
        timeoutSeconds: timeout === null ? undefined : Number(timeout),
        bookmarks: q.get('allowWatchBookmarks') === 'true' || q.get('allowWatchBookmarks') === '1',
        bookmarkIntervalMs: this.bookmarkIntervalMs,
      },
      (stream) => this.watches.delete(stream),
    );
    this.watches.add(w);
    w.start();
  }
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const token = opts.token ?? randomBytes(16).toString('hex');
  const pki = opts.clientCert ? await clientCertPki() : undefined;
  if (opts.clientCert && !pki) throw new Error('test API server: openssl could not make the client-certificate PKI');
  const cert = pki ? { cert: pki.serverCert, key: pki.serverKey } : opts.tls ? await selfSignedCert() : undefined;
  // A client certificate is asked for, not required: a request without one may still bring the token.
  const tlsOptions = pki ? { ...cert, ca: pki.ca, requestCert: true, rejectUnauthorized: false } : cert;
  const handler = new Handler(defaultResources(), token, opts.bookmarkIntervalMs ?? 1000, opts.maxHistory ?? 10000, cert !== undefined);
  const sockets = new Set<Socket>();
  const make = (): Server => {
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => void handler.handle(req, res);
    const s = tlsOptions ? https.createServer(tlsOptions, onRequest) : http.createServer(onRequest);
    s.on(cert ? 'secureConnection' : 'connection', (sock: Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    return s;
  };
  const listen = (s: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
    });
  let server = make();
  const port = await listen(server, 0);
  const url = `${cert ? 'https' : 'http'}://127.0.0.1:${port}`;
  handler.serverAddress = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'kube-test-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  const cluster: Obj = { server: url };
  let user: Obj = { token };
  if (pki) {
    // Relative paths: a kubeconfig's files are found beside it.
    writeFileSync(join(dir, 'ca.crt'), pki.ca);
    writeFileSync(join(dir, 'client.crt'), pki.clientCert);
    writeFileSync(join(dir, 'client.key'), pki.clientKey, { mode: 0o600 });
    cluster['certificate-authority'] = 'ca.crt';
    user = { 'client-certificate': 'client.crt', 'client-key': 'client.key' };
  } else if (cert) cluster['certificate-authority-data'] = Buffer.from(cert.cert).toString('base64');
  // client-node refuses http:// servers unless TLS verification is declared off.
  else cluster['insecure-skip-tls-verify'] = true;
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster }],
      users: [{ name: 'test', user }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'test', namespace: 'default' } }],
      'current-context': 'test',
      preferences: {},
    }),
  );
  const shutdown = async (): Promise<void> => {
    for (const w of [...handler.watches]) w.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  return {
    url,
    kubeconfigPath,
    token,
    ca: pki?.ca ?? cert?.cert,
    store: handler.store,
    requests: handler.requests,
    get watchCount() {
      return handler.watches.size;
    },
    async restart() {
      await shutdown();
      server = make();
      await listen(server, port);
    },
    dropWatches(o = {}) {
      for (const w of [...handler.watches]) (o.abrupt ? w.abort() : w.end());
    },
    compact() {
      handler.store.compact();
    },
    hold(match) {
      let release!: () => void;
      const h = { match, released: new Promise<void>((r) => (release = r)) };
      handler.holds.add(h);
      return () => {
        handler.holds.delete(h);
        release();
      };
    },
    async close() {
      await shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
