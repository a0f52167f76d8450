// The API server's address and credentials (a KubeEndpoint, kube.ts) read
// without @kubernetes/client-node, which takes most of a second to load:
// from the in-cluster service account (KUBERNETES_SERVICE_HOST/PORT and the
// token and CA in the service-account directory), or from one kubeconfig
// file whose current context uses a token, a token file or a client
// certificate, with certificate-authority(-data), insecure-skip-tls-verify
// and tls-server-name. A kubeconfig that needs more (exec or auth-provider
// plugins, a proxy, basic auth, impersonation, several files merged from
// $KUBECONFIG) gives null: the caller loads it with client-node instead.
//
// Token files are read again after a minute, because the kubelet rotates
// projected service-account tokens. The environment, the service-account
// directory and the clock are parameters so tests need no pod and no sleep.

import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { KubeEndpoint } from './kube.js';

/** Where the kubelet mounts a pod's service-account token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A token file is read again after this long: service-account tokens are rotated. */
export const TOKEN_REREAD_MS = 60_000;

export interface EndpointSources {
  /** Environment: KUBERNETES_SERVICE_HOST/PORT, KUBECONFIG; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory holding `token` and `ca.crt`; default SERVICE_ACCOUNT_DIR. */
  readonly serviceAccountDir?: string;
  /** Monotonic clock of the token cache, ms; default performance.now. */
  readonly now?: () => number;
  /** How long a token read from a file is kept, ms; default TOKEN_REREAD_MS. */
  readonly tokenRereadMs?: number;
}

/** A token read from a file, cached for `rereadMs`. */
function tokenFile(path: string, now: () => number, rereadMs: number): () => string {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (now() - readAt > rereadMs) {
      token = readFileSync(path, 'utf8').trim();
      readAt = now();
    }
    return token;
  };
}

interface Tls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  servername?: string;
}

function endpoint(server: string, tls: Tls, token: (() => string) | undefined): KubeEndpoint {
  return {
    server,
    apply: (opts: RequestOptions) => {
      if (tls.ca) opts.ca = tls.ca;
      if (tls.cert) opts.cert = tls.cert;
      if (tls.key) opts.key = tls.key;
      if (tls.insecure) opts.rejectUnauthorized = false;
      if (tls.servername) opts.servername = tls.servername;
      if (token) opts.headers = { ...opts.headers, Authorization: `Bearer ${token()}` };
    },
  };
}

/** User fields read here; any other (exec, auth-provider, username, as, ...) needs client-node. */
const PLAIN_USER_FIELDS = ['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data'];

/**
 * The API server's address and credentials without client-node, or null
 * when the kubeconfig needs what only client-node does. `path` is the
 * --kubeconfig flag: given, it wins over the service account. Throws on an
 * unreadable or unparsable kubeconfig, naming the file.
 */
export async function loadEndpoint(path: string | undefined, sources: EndpointSources = {}): Promise<KubeEndpoint | null> {
  const env = sources.env ?? process.env;
  const now = sources.now ?? (() => performance.now());
  const rereadMs = sources.tokenRereadMs ?? TOKEN_REREAD_MS;
  if (!path && env.KUBERNETES_SERVICE_HOST) {
    const dir = sources.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
    const host = env.KUBERNETES_SERVICE_HOST;
    // An IPv6 service address goes in brackets in a URL.
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
    return endpoint(server, { ca: readFileSync(join(dir, 'ca.crt')) }, tokenFile(join(dir, 'token'), now, rereadMs));
  }
  const file = path ?? (env.KUBECONFIG ? env.KUBECONFIG : join(homedir(), '.kube', 'config'));
  // Several files in $KUBECONFIG are merged by client-node's rules.
  if (!path && env.KUBECONFIG?.includes(':')) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`kubeconfig ${file}: ${(err as Error).message}`);
  }
  const yaml = await import('js-yaml');
  let doc: Record<string, unknown>;
  try {
    doc = (yaml.load(text) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`kubeconfig ${file}: ${(err as Error).message}`);
  }
  // kubeconfig lists are [{name, <field>: {...}}]; the current context names a cluster and a user.
  const find = (list: unknown, name: unknown, field: string): Record<string, unknown> | undefined => {
    if (!Array.isArray(list)) return undefined;
    const entry = (list as Record<string, unknown>[]).find((e) => e?.name === name);
    const value = entry?.[field];
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  };
  const context = find(doc.contexts, doc['current-context'], 'context');
  const cluster = find(doc.clusters, context?.cluster, 'cluster');
  const user = find(doc.users, context?.user, 'user') ?? {};
  if (!cluster || typeof cluster.server !== 'string') return null;
  if (cluster['proxy-url'] !== undefined || Object.keys(user).some((k) => !PLAIN_USER_FIELDS.includes(k))) return null;
  const dir = dirname(file);
  // Paths in a kubeconfig are relative to the file's directory.
  const local = (ref: string): string => (isAbsolute(ref) ? ref : join(dir, ref));
  const bytes = (data: unknown, ref: unknown): Buffer | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    if (typeof ref === 'string') return readFileSync(local(ref));
    return undefined;
  };
  const tls: Tls = {};
  const ca = bytes(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = bytes(user['client-certificate-data'], user['client-certificate']);
  const key = bytes(user['client-key-data'], user['client-key']);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (cluster['insecure-skip-tls-verify'] === true) tls.insecure = true;
  if (typeof cluster['tls-server-name'] === 'string') tls.servername = cluster['tls-server-name'];
  const token =
    typeof user.token === 'string'
      ? () => user.token as string
      : typeof user.tokenFile === 'string'
        ? tokenFile(local(user.tokenFile), now, rereadMs)
        : undefined;
  return endpoint(cluster.server, tls, token);
}
