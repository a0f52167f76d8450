// `bgp-speaker standalone --config FILE --node-name NODE`: runs the speaker
// as NODE would in a cluster that holds exactly the objects of FILE. The
// file is re-read on SIGHUP and when it changes (file-source.ts); the
// reconciler recomputes the desired state and the speaker applies only the
// difference: routes come and go as UPDATEs on running sessions, and a
// changed peer address, ASN or password restarts just that session.
// SIGTERM/SIGINT stop gracefully (RFC 4724: the peer keeps our routes as
// stale for the restart time) and exit 0. Logs are bunyan JSON on stdout.
// Exit 2 when the configuration is unusable at start.

import type { Command } from 'commander';
import { Option } from 'commander';
import type Logger from 'bunyan';
import { adminSession, DEFAULT_ADMIN_ADDRESS, parseAdminAddress, parseHostPort, startAdmin, type AdminServer } from '../admin/server.js';
import type { AdminStatus } from '../admin/types.js';
import { Speaker } from '../bgp/index.js';
import { desiredState } from '../controller/desired-state.js';
import { FileSource, type LoadResult } from '../controller/file-source.js';
import { Reconciler } from '../controller/reconciler.js';
import { isError, type Problem } from '../controller/resources.js';
import { createLogger, type LogLevel } from '../log.js';
import { problemLine } from './validate.js';

interface StandaloneFlags {
  config: string;
  nodeName: string;
  routerId?: string;
  localAddress?: string;
  listen?: string;
  logLevel: LogLevel;
  adminAddress: string;
}

/** How long a graceful stop may take before the process exits anyway, ms. */
const STOP_DEADLINE_MS = 15000;

function fail(lines: string[]): void {
  for (const l of lines) process.stderr.write(`${l}\n`);
  process.exitCode = 2;
}

function logLoad(log: Logger, r: LoadResult, why: string): void {
  if (!r.applied) {
    for (const p of r.problems.filter(isError)) log.error({ problem: p.line }, 'configuration problem');
    log.error({ reason: why }, 'configuration not applied: the file does not parse; keeping the previous objects');
    return;
  }
  const inBad = new Set([...r.keptPrevious, ...r.skipped]);
  for (const p of r.problems) {
    if (p.kind === 'File') {
      if (isError(p)) log.error({ problem: p.line }, 'configuration problem');
      else log.warn({ problem: p.line }, 'configuration warning');
    } else if (inBad.has(`${p.kind} ${p.name}`) && isError(p)) {
      log.error({ kind: p.kind, name: p.name, field: p.field, problem: p.line }, 'configuration problem');
    }
  }
  for (const o of r.keptPrevious) log.warn({ object: o }, 'invalid new version skipped; the previous version stays in force');
  for (const o of r.skipped) log.warn({ object: o }, 'invalid object skipped');
  const o = r.objects;
  log.info({ reason: why, bgpPeers: o.bgpPeers.length, secrets: o.secrets.length, nodes: o.nodes.length }, 'configuration loaded');
}

export function registerStandalone(program: Command): void {
  program
    .command('standalone')
    .description('run the speaker without a cluster: objects from a YAML file, reloaded on SIGHUP and on change')
    .requiredOption('--config <file>', 'multi-document YAML file of BGPPeer, Secret and Node objects')
    .requiredOption('--node-name <node>', 'the Node this speaker runs as (env NODE_NAME)', process.env.NODE_NAME)
    .option('--router-id <ipv4>', "BGP Identifier (default: the node's IPv4 InternalIP)")
    .option('--local-address <ip>', "source address of BGP connections (default: the node's InternalIP of the peer's family)")
    .option('--listen <addr:port>', 'also accept BGP connections from configured peers here, e.g. 0.0.0.0:179')
    .addOption(new Option('--log-level <level>', 'bunyan log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'))
    .option('--admin-address <host:port>', "admin HTTP endpoint ('' or off disables)", DEFAULT_ADMIN_ADDRESS)
    .action(async (flags: StandaloneFlags) => {
      await standalone(flags);
    });
}

async function standalone(flags: StandaloneFlags): Promise<void> {
  const log = createLogger({ level: flags.logLevel }).child({ node: flags.nodeName });
  let admin: { address: string; port: number } | null;
  let listen: { address: string; port: number } | null = null;
  try {
    admin = parseAdminAddress(flags.adminAddress);
  } catch (err) {
    return fail([`--admin-address: ${(err as Error).message}`]);
  }
  if (flags.listen !== undefined) {
    try {
      listen = parseHostPort(flags.listen, '0.0.0.0:179');
    } catch (err) {
      return fail([`--listen: ${(err as Error).message}`]);
    }
  }

  // Start-up: the file must be usable as a whole.
  const source = new FileSource({ path: flags.config, log });
  const first = (await source.load(true))!;
  const dsOptions = {
    ...(flags.routerId !== undefined ? { routerId: flags.routerId } : {}),
    ...(flags.localAddress !== undefined ? { localAddress: flags.localAddress } : {}),
  };
  const initial = desiredState(first.objects, flags.nodeName, dsOptions);
  const startErrors = [...first.problems, ...initial.problems].filter(isError);
  if (!first.applied || startErrors.length > 0) {
    const seen = new Set<string>();
    const lines = [...first.problems, ...initial.problems]
      .map(problemLine)
      .filter((l) => (seen.has(l) ? false : (seen.add(l), true)));
    return fail([...lines, `${flags.config}: configuration not usable; fix the errors above (bgp-speaker validate ${flags.config})`]);
  }
  for (const p of first.problems) if (!isError(p)) log.warn({ problem: p.line }, 'configuration warning');

  const speaker = new Speaker({ log, ...(listen ? { listen } : {}) });
  try {
    await speaker.start();
  } catch (err) {
    return fail([`--listen ${flags.listen}: ${(err as Error).message}`]);
  }

  // Readiness: every session has left Idle once (an attempt) or reached Established.
  const attempted = new Set<string>();
  speaker.on('state', (e) => {
    if (e.from === 'Idle' || e.to === 'Established') attempted.add(e.name);
  });
  let problems: Problem[] = [];
  let fileProblems: Problem[] = first.problems;
  const reconciler = new Reconciler({
    speaker,
    nodeName: flags.nodeName,
    log,
    ...dsOptions,
    onDesired: (state) => {
      problems = state.problems;
    },
  });
  reconciler.update(first.objects);
  reconciler.apply(initial);
  const o = first.objects;
  log.info(
    { config: source.path, bgpPeers: o.bgpPeers.length, secrets: o.secrets.length, nodes: o.nodes.length, sessions: speaker.status().length },
    'configuration loaded',
  );
  if (speaker.status().length === 0) log.warn('this node is a speaker for no BGPPeer: no session runs');

  source.on('load', (r) => {
    if (r === first) return;
    logLoad(log, r, reloadReason);
    fileProblems = r.problems;
    if (r.applied) reconciler.update(r.objects);
  });
  let reloadReason = 'file changed';
  const onHup = (): void => {
    reloadReason = 'SIGHUP';
    void source.load(true).finally(() => (reloadReason = 'file changed'));
  };
  process.on('SIGHUP', onHup);
  source.watch();

  const status = (): AdminStatus => {
    const now = Date.now();
    const lines = new Set<string>();
    for (const p of [...fileProblems, ...problems]) lines.add(problemLine(p));
    return {
      node: flags.nodeName,
      sessions: speaker.status().map((s) => adminSession(s, now)).sort((a, b) => (a.name < b.name ? -1 : 1)),
      problems: [...lines],
    };
  };
  let server: AdminServer | null = null;
  if (admin) {
    try {
      server = await startAdmin({
        ...admin,
        log,
        status,
        ready: () => speaker.status().every((s) => attempted.has(s.name) || s.state !== 'Idle'),
      });
    } catch (err) {
      await speaker.stop('graceful');
      source.close();
      return fail([`--admin-address ${flags.adminAddress}: ${(err as Error).message}`]);
    }
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: sessions close gracefully, the peers keep our routes for the restart time');
    const deadline = setTimeout(() => {
      log.error({ ms: STOP_DEADLINE_MS }, 'graceful stop took too long; exiting');
      process.exit(1);
    }, STOP_DEADLINE_MS);
    deadline.unref();
    source.close();
    process.off('SIGHUP', onHup);
    void (async () => {
      await speaker.stop('graceful');
      await server?.close();
      log.info('stopped');
      clearTimeout(deadline);
      // Let stdout drain before leaving.
      process.stdout.write('', () => process.exit(0));
    })();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
