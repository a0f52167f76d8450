// `bgp-speaker run`: the in-cluster agent (DaemonSet). Reads flags and
// environment (NODE_NAME, and the in-cluster service account or a
// kubeconfig), starts the agent (src/controller/agent.ts) and the admin
// endpoint (/healthz, /readyz, /status, /metrics), and on SIGTERM or SIGINT
// stops the sessions gracefully (RFC 4724: the peer keeps our routes as
// stale for the restart time) and exits 0.
//
// @kubernetes/client-node takes most of a second to load. The agent needs it
// only for its watches, and starts its sessions before (agent.ts, "Early
// start"): the API server's address and credentials are read without it
// (src/controller/kube-endpoint.ts), for the in-cluster service account and
// for kubeconfig files with a token, a token file or a client certificate.
// A kubeconfig that needs more (exec or auth-provider plugins, a proxy,
// basic auth, impersonation) is loaded with client-node at start, and the
// agent takes its endpoint from that.

import type { KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { adminSession, DEFAULT_ADMIN_ADDRESS, parseAdminAddress, parseHostPort, startAdmin, type AdminServer } from '../admin/server.js';
import type { KubeEndpoint } from '../controller/kube.js';
import { loadEndpoint } from '../controller/kube-endpoint.js';
import { createLogger, type LogLevel } from '../log.js';
import { holdStopSignals } from './stop-signals.js';

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

      const signals = holdStopSignals();
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
      signals.ready(shutdown);
    });
}
