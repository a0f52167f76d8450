// Child processes for the real-peer harness: start a daemon with spawn (argv
// arrays only, never a shell), send its stdout/stderr to a log file in its
// temp dir, stop it by PID (SIGTERM, then SIGKILL after a grace period) and
// make sure nothing outlives the test process. No RFC is involved here.
//
// Leaks are prevented twice: a registry kills every live child on 'exit'
// (and on SIGINT/SIGTERM/SIGHUP), and, where util-linux `setpriv` exists, the
// child gets PR_SET_PDEATHSIG=SIGKILL so it dies even when the test process
// is SIGKILLed (e.g. by an ava timeout). PDEATHSIG survives execve, so it
// also covers `ip netns exec`, which execs the daemon in place.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StartOptions {
  /** argv[0] is the program; never a shell string. */
  argv: string[];
  /** Directory for the log file; the caller owns it. */
  dir: string;
  /** Log file name inside dir (default `<basename argv[0]>.log`). */
  logName?: string;
  env?: NodeJS.ProcessEnv;
  /** Run inside this network namespace (`ip netns exec <ns> …`). */
  netns?: string;
  cwd?: string;
}

export interface Proc {
  readonly pid: number;
  readonly argv: readonly string[];
  readonly logFile: string;
  /** Resolves with the exit code (or null if a signal ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** Send a signal (default SIGKILL) and, for SIGKILL, wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The log file's current contents ('' when absent). */
  log(): string;
}

const live = new Map<number, ChildProcess>();
const exitHooks = new Set<() => void>();
let hooksInstalled = false;

function cleanupAllSync(): void {
  for (const [pid] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      // best effort at exit: the process is going away
    }
  }
  exitHooks.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      cleanupAllSync();
      process.removeListener(sig, handler);
      // Re-raise so the default disposition (terminate) still applies.
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

/** Run `fn` synchronously when the test process exits (namespaces, etc.). */
export function onExitSync(fn: () => void): () => void {
  installHooks();
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

const setprivPath = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Argv prefix that runs a command inside a network namespace. */
export function netnsPrefix(ns: string | undefined): string[] {
  return ns ? ['ip', 'netns', 'exec', ns] : [];
}

export function startProcess(opts: StartOptions): Proc {
  installHooks();
  if (opts.argv.length === 0) throw new Error('startProcess: empty argv');
  const base = opts.argv[0].split('/').pop() ?? 'proc';
  const logFile = join(opts.dir, opts.logName ?? `${base}.log`);
  const fd = openSync(logFile, 'a');
  const full = [
    ...(setprivPath ? [setprivPath, '--pdeathsig', 'KILL'] : []),
    ...netnsPrefix(opts.netns),
    ...opts.argv,
  ];
  let child: ChildProcess;
  try {
    child = spawn(full[0], full.slice(1), {
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? opts.dir,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new Error(`could not start ${opts.argv.join(' ')}: no pid`);
  }
  const pid = child.pid;
  live.set(pid, child);
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(pid);
      resolve({ code, signal });
    });
    child.once('error', () => {
      running = false;
      live.delete(pid);
      resolve({ code: null, signal: null });
    });
  });

  const signal = (sig: NodeJS.Signals): void => {
    if (!running) return;
    try {
      process.kill(pid, sig);
    } catch {
      // raced with exit
    }
  };

  return {
    pid,
    argv: full,
    logFile,
    exited,
    isRunning: () => running,
    async stop(graceMs = 3000) {
      if (!running) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill(sig: NodeJS.Signals = 'SIGKILL') {
      signal(sig);
      if (sig === 'SIGKILL') await exited;
    },
    log() {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
  };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a short command to completion (argv, no shell). Never throws on exit code. */
export function run(argv: string[], opts: { netns?: string; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  const full = [...netnsPrefix(opts.netns), ...argv];
  return new Promise((resolve, reject) => {
    const child = spawn(full[0], full.slice(1), { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${full.join(' ')}: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (child.stdin) {
      // A command that exits without reading its input must not crash us.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Like run() but throws with stderr when the exit code is not 0. */
export async function runOk(argv: string[], opts: { netns?: string; timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    throw new Error(`${[...netnsPrefix(opts.netns), ...argv].join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** Synchronous variant for exit hooks. */
export function runSync(argv: string[]): number | null {
  return spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 5000 }).status;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Words for the error message: "BIRD session p1 Established". */
  what: string;
}

/**
 * Polls `predicate` until it returns true. The predicate may return
 * `true`/`false`, or `{ ok, value }` so the timeout error can show the last
 * value observed; a thrown error counts as "not yet" and is reported too.
 */
export async function waitFor(
  predicate: () => Promise<boolean | { ok: boolean; value: unknown }>,
  opts: WaitOptions,
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  for (;;) {
    try {
      const r = await predicate();
      if (typeof r === 'boolean') {
        last = r;
        if (r) return;
      } else {
        last = r.value;
        if (r.ok) return;
      }
    } catch (err) {
      last = err instanceof Error ? `error: ${err.message}` : err;
    }
    if (Date.now() >= deadline) {
      let shown: string;
      try {
        shown = typeof last === 'string' ? last : JSON.stringify(last);
      } catch {
        shown = String(last);
      }
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}; last observed: ${shown}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, close). */
/**
 * A TCP port free on this machine for a daemon to listen on. Picked below
 * the kernel's ephemeral range (32768-60999), so an outgoing connection of
 * another test cannot take it between this check and the daemon's bind.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (await canListen(port)) return port;
  }
  throw new Error('freePort: no free port in 20000-31999');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    // Unspecified address: free on every local address, IPv4 and IPv6.
    srv.listen({ port, host: '::', ipv6Only: false }, () => srv.close(() => resolve(true)));
  });
}

/** A fresh temp dir for one daemon; short, so Unix socket paths stay < 108 bytes. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  if (process.env.KEEP_PEER_DIRS) return;
  await rm(dir, { recursive: true, force: true });
}

let counter = 0;
/** A name unique across concurrently running test processes: prefix + pid + counter. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${process.pid.toString(36)}${counter.toString(36)}`;
}
