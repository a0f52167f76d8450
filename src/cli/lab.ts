// `bgp-speaker lab`: the embedded demo. With nothing installed but the
// package, it starts a passive route collector on loopback (src/lab, our
// codec) in place of the switch, and the speaker for examples/lab.yaml on
// the same code path as `standalone` and `run` (objects -> desired state ->
// Speaker). It prints the session table and the routes the collector
// learned, then exits 0; --keep-running keeps both up with the admin
// endpoint, so `bgp-speaker status` can be tried.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { adminSession, DEFAULT_ADMIN_ADDRESS, parseAdminAddress, startAdmin, type AdminServer } from '../admin/server.js';
import { alignColumns, formatStatusTable } from '../admin/table.js';
import { Speaker, type SessionSpec } from '../bgp/index.js';
import { Reconciler } from '../controller/reconciler.js';
import { isError } from '../controller/resources.js';
import { parseObjects } from '../controller/yaml.js';
import { Collector, type CollectedRoute } from '../lab/index.js';
import { createLogger, type LogLevel } from '../log.js';

interface LabFlags {
  config?: string;
  nodeName?: string;
  keepRunning?: boolean;
  adminAddress: string;
  logLevel: LogLevel;
  timeout: string;
}

/** examples/lab.yaml next to the package, whether run from src/ (tsx) or dist/src/. */
function defaultConfig(): string {
  for (const rel of ['../../examples/lab.yaml', '../../../examples/lab.yaml']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return 'examples/lab.yaml';
}

function routeTable(routes: readonly CollectedRoute[]): string {
  const rows = [['PREFIX', 'NEXT HOP', 'AS PATH', 'ORIGIN', 'FROM']];
  for (const r of routes) rows.push([r.prefix, r.nextHop, r.asPath.join(' ') || '(empty)', r.origin, r.peer]);
  return alignColumns(rows);
}

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('demo: a speaker and a route collector on loopback, for the objects of examples/lab.yaml')
    .option('--config <file>', 'BGPPeer/Secret/Node YAML (default examples/lab.yaml)')
    .option('--node-name <node>', 'the node the speaker runs as (default: the first localSpeaker)')
    .option('--keep-running', 'keep the speaker, the collector and the admin endpoint up until SIGINT/SIGTERM')
    .option('--admin-address <host:port>', 'admin endpoint with --keep-running', DEFAULT_ADMIN_ADDRESS)
    .option('--timeout <seconds>', 'how long to wait for the routes', '20')
    .option('--log-level <level>', 'bunyan log level (logs go to stderr)', 'warn')
    .action(async (flags: LabFlags) => {
      process.exitCode = await lab(flags);
    });
}

async function lab(flags: LabFlags): Promise<number> {
  const config = flags.config ?? defaultConfig();
  const say = (s: string): void => void process.stdout.write(`${s}\n`);
  let text: string;
  try {
    text = readFileSync(config, 'utf8');
  } catch (err) {
    process.stderr.write(`lab: cannot read ${config}: ${(err as Error).message}\n`);
    return 2;
  }
  const { objects, problems } = parseObjects(text, config);
  const errors = problems.filter(isError);
  if (errors.length > 0) {
    for (const p of errors) process.stderr.write(`${p.line}\n`);
    return 2;
  }
  const peer = objects.bgpPeers[0];
  const nodeName = flags.nodeName ?? peer?.spec.localSpeakers?.[0];
  if (!peer || !nodeName) {
    process.stderr.write(`lab: ${config} needs a BGPPeer with spec.localSpeakers\n`);
    return 2;
  }

  const log = createLogger({ level: flags.logLevel, stream: process.stderr }).child({ node: nodeName });
  const speaker = new Speaker({ log });
  // Same path as standalone: objects -> desired state -> Speaker. The
  // collector stands in for the switch, so it is built from the same sessions.
  let sessions: SessionSpec[] = [];
  const reconciler = new Reconciler({ speaker: { sync: (s) => (sessions = [...s]) }, nodeName, log });
  reconciler.update(objects);
  const desired = reconciler.apply()!;
  for (const p of desired.problems.filter(isError)) process.stderr.write(`${p.line}\n`);
  if (sessions.length === 0) {
    process.stderr.write(`lab: node ${nodeName} speaks for no BGPPeer in ${config}\n`);
    return 2;
  }

  const collectors: Collector[] = [];
  for (const s of sessions) {
    collectors.push(
      await Collector.start({
        address: s.peerAddress,
        port: s.peerPort ?? 179,
        localAs: s.peerAs,
        routerId: s.peerAddress.includes(':') ? '192.0.2.1' : s.peerAddress,
        peers: [{ address: s.localAddress ?? s.routerId, as: s.localAs, md5Key: s.md5Key }],
        log: log.child({ component: 'collector' }),
      }),
    );
  }
  const wanted = sessions.reduce((n, s) => n + s.routes.length, 0);
  for (const s of sessions) {
    say(
      `lab: ${nodeName} (${s.localAddress}, AS ${s.localAs}) -> collector ${s.peerAddress}:${s.peerPort ?? 179} (AS ${s.peerAs})` +
        `${s.md5Key ? ', TCP MD5 on' : ''}, ${s.routes.length} routes to advertise`,
    );
  }
  speaker.sync(sessions);

  const stopAll = async (): Promise<void> => {
    await speaker.stop('graceful');
    await Promise.all(collectors.map((c) => c.close()));
  };
  const received = (): number => collectors.reduce((n, c) => n + c.routeCount(), 0);
  const timeoutMs = Math.max(1, Number(flags.timeout) || 20) * 1000;
  let ok = true;
  try {
    await Promise.all(
      collectors.map((c) =>
        c.waitFor((x) => x.sessions().some((v) => v.state === 'Established' && v.endOfRib.length > 0) && received() >= wanted, timeoutMs, 'the routes at the collector'),
      ),
    );
  } catch (err) {
    ok = false;
    process.stderr.write(`lab: ${(err as Error).message}\n`);
  }

  const now = Date.now();
  say('');
  say(formatStatusTable({ node: nodeName, sessions: speaker.status().map((s) => adminSession(s, now)) }).trimEnd());
  say('');
  const routes = collectors.flatMap((c) => c.routes());
  say(`Routes the collector learned (${routes.length} of ${wanted}):`);
  say(routeTable(routes).trimEnd());

  if (!flags.keepRunning) {
    await stopAll();
    return ok ? 0 : 1;
  }

  let admin: AdminServer | null = null;
  const addr = parseAdminAddress(flags.adminAddress);
  if (addr) {
    admin = await startAdmin({
      ...addr,
      log,
      status: () => ({ node: nodeName, sessions: speaker.status().map((s) => adminSession(s)) }),
      ready: () => speaker.status().every((s) => s.state === 'Established'),
    });
    const a = admin.address();
    say('');
    say(`Running. Try: bgp-speaker status --admin-address ${a.address}:${a.port}   (Ctrl-C stops)`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await admin?.close();
  await stopAll();
  return 0;
}
