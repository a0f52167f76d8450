// The admin endpoint: a small HTTP server on loopback (default
// 127.0.0.1:9179) for people and probes. GET only:
//   /healthz  200 "ok" while the process runs
//   /readyz   200 once the configuration is loaded and every session has
//             been attempted at least once, else 503
//   /status   the session table as JSON (AdminStatus)
//   /metrics  Prometheus text format (metrics.ts)
// Nothing here can see a secret: the status comes from the speaker's
// SessionStatus, which carries no key. Also the mapping SessionStatus ->
// AdminSession shared by `standalone` and `run`.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Logger from 'bunyan';
import type { SessionStatus } from '../bgp/index.js';
import { renderMetrics } from './metrics.js';
import type { AdminSession, AdminStatus } from './types.js';

export type { AdminSession, AdminStatus } from './types.js';

export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:9179';

export interface AdminOptions {
  readonly address: string;
  readonly port: number;
  readonly log: Logger;
  readonly status: () => AdminStatus;
  readonly ready: () => boolean;
  /** Default: renderMetrics(status()). */
  readonly metrics?: () => string;
}

export interface AdminServer {
  address(): { address: string; port: number };
  close(): Promise<void>;
}

/** Parses `HOST:PORT` or `[IPv6]:PORT`; throws naming the text when it is neither. */
export function parseHostPort(text: string, example = '127.0.0.1:9179 or [::1]:9179'): { address: string; port: number } {
  const t = text.trim();
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(t) ?? /^([^:\s]+):(\d+)$/.exec(t);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${JSON.stringify(text)} is not HOST:PORT (e.g. ${example})`);
  }
  return { address: m[1]!, port };
}

/** The admin endpoint's address: null for '' and 'off' (disabled), else HOST:PORT. */
export function parseAdminAddress(text: string): { address: string; port: number } | null {
  const t = text.trim();
  if (t === '' || t === 'off') return null;
  try {
    return parseHostPort(t);
  } catch (err) {
    throw new Error(`${(err as Error).message}, '' or off`);
  }
}

/** Joins an address and port back into HOST:PORT, bracketing IPv6. */
export function formatHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** One speaker SessionStatus as /status shows it, at wall-clock `now` (ms). */
export function adminSession(s: SessionStatus, now = Date.now()): AdminSession {
  const n = s.negotiated;
  const out: AdminSession = {
    name: s.name,
    peerAddress: s.peerAddress,
    peerPort: s.peerPort,
    peerAs: s.peerAs,
    localAs: s.localAs,
    ...(s.localAddress !== undefined ? { localAddress: s.localAddress } : {}),
    state: s.state,
    since: new Date(s.since).toISOString(),
    secondsInState: Math.max(0, Math.floor((now - s.since) / 1000)),
    ...(s.peerRouterId !== undefined ? { peerRouterId: s.peerRouterId } : {}),
    capabilities: [],
    advertisedPrefixes: s.advertisedPrefixes,
    receivedPrefixes: s.receivedPrefixes,
    establishedCount: s.establishedCount,
  };
  if (n && s.state === 'Established') {
    out.holdTime = n.holdTime;
    out.keepaliveTime = n.keepaliveTime;
    const caps: string[] = [];
    if (n.as4) caps.push('as4');
    caps.push(...n.families);
    if (n.routeRefresh) caps.push('route-refresh');
    if (n.extendedMessage) caps.push('extended-message');
    if (n.gracefulRestart.local && n.gracefulRestart.peer) caps.push('graceful-restart');
    if (n.gracefulRestart.notification) caps.push('graceful-restart-notification');
    out.capabilities = caps;
    out.gracefulRestart = {
      local: n.gracefulRestart.local,
      peer: n.gracefulRestart.peer,
      ...(n.gracefulRestart.peerRestartTime !== undefined ? { peerRestartTime: n.gracefulRestart.peerRestartTime } : {}),
      notification: n.gracefulRestart.notification,
    };
  }
  if (s.lastError) {
    out.lastError = s.lastError.message;
    out.lastErrorReason = s.lastError.reason;
    out.lastErrorAt = new Date(s.lastError.at).toISOString();
  }
  return out;
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** Starts the endpoint; resolves once it listens (port 0 picks a free port). */
export async function startAdmin(opts: AdminOptions): Promise<AdminServer> {
  const log = opts.log.child({ component: 'admin' });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    try {
      switch (path) {
        case '/healthz':
          send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
          return;
        case '/readyz':
          if (opts.ready()) send(res, 200, 'text/plain; charset=utf-8', 'ready\n');
          else send(res, 503, 'text/plain; charset=utf-8', 'not ready\n');
          return;
        case '/status':
          send(res, 200, 'application/json; charset=utf-8', JSON.stringify(opts.status(), null, 2) + '\n');
          return;
        case '/metrics': {
          const body = opts.metrics ? opts.metrics() : renderMetrics(opts.status());
          send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', body);
          return;
        }
        default:
          send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz, /status or /metrics\n');
      }
    } catch (err) {
      log.error({ err, path }, 'admin request failed');
      send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
    }
  };
  // node:http is loaded here, not at start: with the endpoint off
  // (--admin-address off) the process never needs it.
  const { createServer } = await import('node:http');
  const server = createServer(handle);
  // Probes open short connections; do not let idle keep-alives hold close().
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'admin endpoint error'));
  const bound = server.address() as AddressInfo;
  log.info({ address: bound.address, port: bound.port }, 'admin endpoint listening');
  return {
    address: () => ({ address: bound.address, port: bound.port }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
