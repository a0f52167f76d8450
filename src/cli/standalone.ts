// `bgp-speaker standalone --config FILE --node-name NODE`: runs the speaker
// as NODE would in a cluster that holds exactly the objects of FILE. The
// file is re-read on SIGHUP and when it changes (file-source.ts); the
// reconciler recomputes the desired state and the speaker applies only the
// difference: routes come and go as UPDATEs on running sessions, and a
// changed peer address, ASN or password restarts just that session.
// SIGTERM/SIGINT stop gracefully (RFC 4724: the peer keeps our routes as
// stale for the restart time) and exit 0. Logs are bunyan JSON on stdout.
// Exit 2 when the configuration is unusable at start.
//
// Early start: the sessions of the BGPPeers that list this node in
// spec.localSpeakers do not depend on the other Nodes, so they start before
// the whole file is parsed. The documents that may hold a BGPPeer, a Secret
// or this node's Node (a text test, earlyDocument) are parsed and validated
// first; when they are usable on their own (no error in them, none in the
// desired state they give), those sessions start with the routes known so
// far and routesComplete false, so End-of-RIB (RFC 4724 §4.1) is held back
// while the rest of the file is parsed in slices that let the OPEN/KEEPALIVE
// exchange run. Parsing the rest waits until those sessions are Established
// or their attempt failed (at most HANDSHAKE_HEAD_START_MS): a single large
// document, the validation and the desired state of 100,000 routes each
// hold the event loop for a while, and the OPEN exchange should not wait
// behind them. Then the whole desired state is applied as without early
// start, and End-of-RIB follows. The early session proposes the address
// families of the routes known then and of the peer; should other Nodes add
// a family (only they have IPv6 pod CIDRs), the OPEN must change and that
// session restarts once. Elected speakers (no localSpeakers) need
// every Node, so they wait for the whole file. If the whole file turns out
// unusable, the early sessions are stopped as on SIGTERM (the peer keeps any
// routes it held for us as stale, as if we had not come up) and the process
// exits 2 with the same lines as without early start.

import type { Command } from 'commander';
import { Option } from 'commander';
import type Logger from 'bunyan';
import { adminSession, DEFAULT_ADMIN_ADDRESS, parseAdminAddress, parseHostPort, startAdmin, type AdminServer } from '../admin/server.js';
import type { AdminStatus } from '../admin/types.js';
import { Speaker, type SessionEvent, type SessionSpec } from '../bgp/index.js';
import { desiredState, earlySessions, type DesiredStateOptions } from '../controller/desired-state.js';
import { FileSource, type LoadResult } from '../controller/file-source.js';
import { Reconciler } from '../controller/reconciler.js';
import { isError, type Problem } from '../controller/resources.js';
import type { ParsedObjects } from '../controller/yaml.js';
import { createLogger, type LogLevel } from '../log.js';
import { holdStopSignals } from './stop-signals.js';
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

/**
 * How long the rest of the file waits for the early sessions' OPEN exchange,
 * ms. A peer that answers takes a round trip or two; one that does not
 * (down, unreachable, MD5 mismatch) has nothing to receive anyway.
 */
const HANDSHAKE_HEAD_START_MS = 500;

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

/**
 * Whether a document may hold a BGPPeer, a Secret, a List or the Node
 * `nodeName` (or name it, as localSpeakers does): those are parsed first.
 * A document that does is merely parsed early; one that escapes the test is
 * parsed with the rest, so the test only has to be cheap, not exact.
 */
function earlyDocument(nodeName: string): (text: string) => boolean {
  const name = new RegExp(`(?<![A-Za-z0-9._-])${nodeName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9._-])`);
  return (text) => text.includes('BGPPeer') || text.includes('Secret') || text.includes('List') || name.test(text);
}

/**
 * The sessions to start before the whole file is parsed (earlySessions),
 * when the early objects have no error and give none in the desired state;
 * else none: an unusable file must exit 2 without having started anything.
 */
function startableEarly(early: ParsedObjects, nodeName: string, opts: DesiredStateOptions): SessionSpec[] {
  if (early.problems.some(isError)) return [];
  const { sessions, problems } = earlySessions(early.objects, nodeName, opts);
  return problems.some(isError) ? [] : sessions;
}

/**
 * Resolves once each named session is Established or its attempt has ended
 * (Idle, Active), or after `ms`.
 */
function handshakes(speaker: Speaker, names: readonly string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const pending = new Set(names);
    const done = (): void => {
      speaker.off('state', onState);
      clearTimeout(timer);
      resolve();
    };
    const onState = (e: SessionEvent): void => {
      if (e.to === 'Established' || e.to === 'Idle' || e.to === 'Active') pending.delete(e.name);
      if (pending.size === 0) done();
    };
    const timer = setTimeout(done, ms);
    speaker.on('state', onState);
  });
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

  const dsOptions = {
    ...(flags.routerId !== undefined ? { routerId: flags.routerId } : {}),
    ...(flags.localAddress !== undefined ? { localAddress: flags.localAddress } : {}),
  };
  // Readiness: every session has left Idle once (an attempt) or reached Established.
  const attempted = new Set<string>();
  const newSpeaker = (): Speaker => {
    const s = new Speaker({ log, ...(listen ? { listen } : {}) });
    s.on('state', (e) => {
      if (e.from === 'Idle' || e.to === 'Established') attempted.add(e.name);
    });
    return s;
  };
  const started: { speaker: Speaker | null } = { speaker: null };

  const signals = holdStopSignals();
  // Start-up: the file must be usable as a whole; the sessions of the
  // BGPPeers that list this node may start while it is parsed (see the top).
  const source = new FileSource({ path: flags.config, log });
  const first = (await source.load(true, {
    select: earlyDocument(flags.nodeName),
    run: async (early) => {
      const sessions = startableEarly(early, flags.nodeName, dsOptions);
      if (sessions.length === 0) return;
      const s = newSpeaker();
      try {
        await s.start();
      } catch {
        return; // the start below reports it
      }
      started.speaker = s;
      const names = sessions.map((x) => x.name);
      const opened = handshakes(s, names, HANDSHAKE_HEAD_START_MS);
      s.sync(sessions);
      log.info(
        { sessions: names, routes: sessions.reduce((n, x) => n + x.routes.length, 0) },
        'early start: sessions started before the whole configuration is loaded; End-of-RIB follows it',
      );
      await opened;
    },
  }))!;
  const initial = desiredState(first.objects, flags.nodeName, dsOptions);
  const startErrors = [...first.problems, ...initial.problems].filter(isError);
  if (!first.applied || startErrors.length > 0) {
    if (started.speaker) {
      log.warn('configuration not usable: stopping the sessions started early');
      await started.speaker.stop('graceful');
    }
    const seen = new Set<string>();
    const lines = [...first.problems, ...initial.problems]
      .map(problemLine)
      .filter((l) => (seen.has(l) ? false : (seen.add(l), true)));
    return fail([...lines, `${flags.config}: configuration not usable; fix the errors above (bgp-speaker validate ${flags.config})`]);
  }
  for (const p of first.problems) if (!isError(p)) log.warn({ problem: p.line }, 'configuration warning');

  const speaker = started.speaker ?? newSpeaker();
  if (!started.speaker) {
    try {
      await speaker.start();
    } catch (err) {
      return fail([`--listen ${flags.listen}: ${(err as Error).message}`]);
    }
  }

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
  signals.ready(shutdown);
}
