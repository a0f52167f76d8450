// Runs a BIRD 2 daemon as a real BGP peer for tests: writes the config into a
// fresh temp dir, starts `bird -f -c <conf> -s <sock> -P <pid>` (optionally
// inside a network namespace) and talks to it with `birdc`.
// Covers what tests assert about RFC 4271 sessions, RFC 4760 MP-BGP routes
// and RFC 4724 graceful restart as BIRD sees them.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { birdConfig, type BirdOptions } from './bird-config.js';
import { parseBirdProtocol, parseBirdRoutes, type BirdProtocol, type BirdRoute } from './bird-parse.js';
import { makeTempDir, removeDir, runOk, run, startProcess, waitFor, type Proc } from './proc.js';

export type { BirdOptions, BirdNeighbor, BirdRouteSpec } from './bird-config.js';
export type { BirdRoute, BirdProtocol, BirdChannelInfo, Origin } from './bird-parse.js';
export { birdConfig } from './bird-config.js';
export { parseBirdRoutes, parseBirdProtocol, sameSessionSince } from './bird-parse.js';

export const BIRD_BIN = process.env.BIRD_BIN ?? '/usr/sbin/bird';
export const BIRDC_BIN = process.env.BIRDC_BIN ?? '/usr/sbin/birdc';

export interface BirdHandle {
  readonly pid: number;
  readonly dir: string;
  readonly socket: string;
  readonly configFile: string;
  readonly options: BirdOptions;
  /** Runs `birdc -s <sock> <args…>` and returns its output; throws on failure. */
  birdc(args: string[]): Promise<string>;
  /**
   * Routes from `show route all` (one table or all). `stale` is true for
   * LLGR-stale routes and for routes of a protocol whose neighbor is in
   * graceful restart (BIRD 2.0.12 does not print the RFC 4724 stale flag).
   */
  routes(table?: 'master4' | 'master6'): Promise<BirdRoute[]>;
  protocol(name: string): Promise<BirdProtocol>;
  waitEstablished(name: string, timeoutMs?: number): Promise<BirdProtocol>;
  /** Rewrites the config and runs `birdc configure`. */
  reconfigure(newOpts: BirdOptions): Promise<string>;
  /** The daemon's stderr log (BIRD logs there with `log stderr all`). */
  log(): string;
  /** SIGTERM (BIRD then sends Cease to its peers), SIGKILL after a grace period; removes the dir. */
  stop(): Promise<void>;
  /** SIGKILL: the TCP sessions drop without NOTIFICATION (what GR tests need). Keeps the dir. */
  kill(): Promise<void>;
  readonly proc: Proc;
}

export async function startBird(opts: BirdOptions): Promise<BirdHandle> {
  const dir = await makeTempDir('ebgp-bird');
  const configFile = join(dir, 'bird.conf');
  const socket = join(dir, 'bird.ctl');
  const pidFile = join(dir, 'bird.pid');
  let current = opts;
  await writeFile(configFile, birdConfig(opts));
  // Parse first so a config error is reported as such, not as a dead daemon.
  const check = await run([BIRD_BIN, '-p', '-c', configFile]);
  if (check.code !== 0) {
    const msg = (check.stderr || check.stdout).trim();
    await removeDir(dir);
    throw new Error(`BIRD rejected its config: ${msg}\n${birdConfig(opts)}`);
  }
  const proc = startProcess({
    argv: [BIRD_BIN, '-f', '-c', configFile, '-s', socket, '-P', pidFile],
    dir,
    logName: 'bird.log',
    netns: opts.netns,
  });

  // birdc talks over a Unix socket, which works across network namespaces.
  const birdc = async (args: string[]): Promise<string> => {
    return runOk([BIRDC_BIN, '-s', socket, ...args], { timeoutMs: 10000 });
  };

  try {
    await waitFor(
      async () => {
        if (!proc.isRunning()) throw new Error(`bird exited: ${proc.log().trim()}`);
        const r = await run([BIRDC_BIN, '-s', socket, 'show', 'status'], { timeoutMs: 3000 });
        return { ok: r.code === 0 && r.stdout.includes('Daemon is up'), value: (r.stdout + r.stderr).trim() };
      },
      { what: `BIRD control socket ${socket}`, timeoutMs: 10000, intervalMs: 50 },
    );
  } catch (err) {
    await proc.kill();
    throw new Error(`${(err as Error).message}\nlog:\n${proc.log()}`);
  }

  const protocol = async (name: string): Promise<BirdProtocol> => {
    const out = await birdc(['show', 'protocols', 'all', name]);
    const p = parseBirdProtocol(out, name);
    if (!p) throw new Error(`BIRD has no protocol ${name}: ${out.trim()}`);
    return p;
  };

  const handle: BirdHandle = {
    pid: proc.pid,
    dir,
    socket,
    configFile,
    get options() {
      return current;
    },
    proc,
    birdc,
    async routes(table) {
      const out = await birdc(table ? ['show', 'route', 'all', 'table', table] : ['show', 'route', 'all']);
      const routes = parseBirdRoutes(out);
      const names = [...new Set(routes.map((r) => r.fromProtocol))].filter((n) => current.neighbors.some((x) => x.name === n));
      const restarting = new Set<string>();
      for (const n of names) {
        const p = await protocol(n).catch(() => undefined);
        if (p?.neighborGracefulRestartActive) restarting.add(n);
      }
      for (const r of routes) if (restarting.has(r.fromProtocol)) r.stale = true;
      return routes;
    },
    protocol,
    async waitEstablished(name, timeoutMs = 20000) {
      let last: BirdProtocol | undefined;
      await waitFor(
        async () => {
          if (!proc.isRunning()) throw new Error('bird is not running');
          last = await protocol(name);
          return { ok: last.bgpState === 'Established', value: `${last.state} ${last.info}` };
        },
        { what: `BIRD protocol ${name} Established`, timeoutMs, intervalMs: 100 },
      );
      return last as BirdProtocol;
    },
    async reconfigure(newOpts) {
      await writeFile(configFile, birdConfig(newOpts));
      const out = await birdc(['configure']);
      if (!/Reconfigur/.test(out)) throw new Error(`birdc configure failed: ${out.trim()}`);
      current = newOpts;
      return out;
    },
    log: () => proc.log(),
    async stop() {
      await proc.stop();
      await removeDir(dir);
    },
    async kill() {
      await proc.kill('SIGKILL');
    },
  };
  return handle;
}
