// `bgp-speaker run`: the in-cluster agent (DaemonSet). Reads flags and
// environment (NODE_NAME, and the in-cluster service account or a
// kubeconfig), starts the agent (src/controller/agent.ts) and the admin
// endpoint (/healthz, /readyz, /status, /metrics), and on SIGTERM or SIGINT
// stops the sessions gracefully (RFC 4724: the peer keeps our routes as
// stale for the restart time) and exits 0.
//
// @kubernetes/client-node takes most of a second to load. The agent needs it
// only for its watches, and starts its sessions before (agent.ts, "Early
// start"): here the API server's address and credentials are read without
// it, for the in-cluster service account and for kubeconfig files with a
// token, a token file or a client certificate. A kubeconfig that needs more
// (exec or auth-provider plugins, a proxy, basic auth, impersonation) is
// loaded with client-node at start, as before, and the agent takes its
// endpoint from that.

import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { adminSession, DEFAULT_ADMIN_ADDRESS, parseAdminAddress, parseHostPort, startAdmin, type AdminServer } from '../admin/server.js';
import type { KubeEndpoint } from '../controller/kube.js';
import { createLogger, type LogLevel } from '../log.js';

interface RunFlags {
  nodeName?: string;
  kubeconfig?: string;
  adminAddress: string;
  logLevel: LogLevel;
  listen?: string;
  routerId?: string;
  localAddress?: string;
}

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** In-cluster service account when running in a pod, else the given or default kubeconfig. */
async function loadKubeConfig(path: string | undefined): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
/** A token file is read again after this long: service-account tokens are rotated. */
const TOKEN_REREAD_MS = 60_000;

/** A token read from a file, cached for a minute. */
function tokenFile(path: string): () => string {
  let token = '';
  let readAt = -Infinity;
  return () => {
    if (performance.now() - readAt > TOKEN_REREAD_MS) {
      token = readFileSync(path, 'utf8').trim();
      readAt = performance.now();
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

/**
 * The API server's address and credentials without client-node, or null
 * when the kubeconfig needs what only client-node does. Throws on an
 * unreadable file, naming it.
 */
async function loadEndpoint(path: string | undefined): Promise<KubeEndpoint | null> {
  const env = process.env;
  if (!path && env.KUBERNETES_SERVICE_HOST) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`;
    return endpoint(server, { ca: readFileSync(`${SERVICE_ACCOUNT}/ca.crt`) }, tokenFile(`${SERVICE_ACCOUNT}/token`));
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
  const plain = ['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data'];
  if (cluster['proxy-url'] !== undefined || Object.keys(user).some((k) => !plain.includes(k))) return null;
  const dir = dirname(file);
  const bytes = (data: unknown, ref: unknown): Buffer | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    if (typeof ref === 'string') return readFileSync(isAbsolute(ref) ? ref : join(dir, ref));
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
        ? tokenFile(isAbsolute(user.tokenFile) ? user.tokenFile : join(dir, user.tokenFile))
        : undefined;
  return endpoint(cluster.server, tls, token);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run in a Kubernetes cluster: watch BGPPeers, Nodes and Secrets, run the sessions this node is elected for, write status and events')
    .option('--node-name <name>', 'this node\'s name (default: $NODE_NAME, from the downward API)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: the in-cluster service account, else $KUBECONFIG or ~/.kube/config)')
    .option('--admin-address <host:port>', 'admin endpoint (/healthz, /readyz, /status, /metrics); "off" disables it', DEFAULT_ADMIN_ADDRESS)
    .option('--log-level <level>', `one of ${LEVELS.join(', ')}`, 'info')
    .option('--listen <host:port>', 'also accept BGP connections from configured peers here, e.g. 0.0.0.0:179')
    .option('--router-id <ipv4>', 'BGP Identifier (default: the Node\'s IPv4 InternalIP)')
    .option('--local-address <ip>', 'source address of sessions (default: the Node\'s InternalIP)')
    .action(async (flags: RunFlags) => {
      if (!LEVELS.includes(flags.logLevel)) {
        process.stderr.write(`bgp-speaker run: --log-level must be one of ${LEVELS.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const log = createLogger({ level: flags.logLevel });
      const nodeName = flags.nodeName ?? process.env.NODE_NAME;
      if (!nodeName) {
        process.stderr.write('bgp-speaker run: no node name: pass --node-name or set NODE_NAME (fieldRef spec.nodeName in the DaemonSet)\n');
        process.exitCode = 2;
        return;
      }
      let admin: { address: string; port: number } | null;
      let listen: { address: string; port: number } | undefined;
      let kubeEndpoint: KubeEndpoint | null;
      let kubeconfig: KubeConfig | (() => Promise<KubeConfig>);
      try {
        admin = parseAdminAddress(flags.adminAddress);
        listen = flags.listen ? parseHostPort(flags.listen, '0.0.0.0:179') : undefined;
        kubeEndpoint = await loadEndpoint(flags.kubeconfig);
        // Without an endpoint of our own, client-node reads the kubeconfig now, and its errors end the start.
        kubeconfig = kubeEndpoint ? () => loadKubeConfig(flags.kubeconfig) : await loadKubeConfig(flags.kubeconfig);
      } catch (err) {
        process.stderr.write(`bgp-speaker run: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }

      const { startAgent } = await import('../controller/agent.js');
      const agent = await startAgent({
        kubeconfig,
        ...(kubeEndpoint ? { endpoint: kubeEndpoint } : {}),
        nodeName,
        log,
        ...(listen ? { speakerOptions: { listen } } : {}),
        ...(flags.routerId ? { routerId: flags.routerId } : {}),
        ...(flags.localAddress ? { localAddress: flags.localAddress } : {}),
      });
      let adminServer: AdminServer | null = null;
      if (admin) {
        adminServer = await startAdmin({
          ...admin,
          log,
          ready: () => agent.ready(),
          status: () => {
            const now = Date.now();
            const st = agent.state();
            return {
              node: nodeName,
              sessions: agent.speaker.status().map((s) => adminSession(s, now)),
              ...(st.problems.length > 0 ? { problems: [...st.problems] } : {}),
            };
          },
        });
        log.info({ admin: adminServer.address() }, 'admin endpoint listening');
      }
      log.info({ node: nodeName, listen }, 'agent started');

      let stopping = false;
      const shutdown = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping: closing sessions gracefully');
        void (async () => {
          try {
            await agent.stop('graceful');
            await adminServer?.close();
            log.info('stopped');
            process.exit(0);
          } catch (err) {
            log.error({ err }, 'error while stopping');
            process.exit(1);
          }
        })();
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
