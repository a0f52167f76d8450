// Shared pieces of the interop tests: unique loopback addresses, and the
// speaker run as a child process (driver.ts) so it can live in a network
// namespace or be killed and restarted like a real daemon.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionSpec } from '../../src/bgp/index.js';
import { nodeArgs, ROOT } from '../entry.js';
import type { ExecutionContext } from 'ava';
import { freePort, makeTempDir, onExitSync, removeDir, waitFor } from '../peers/proc.js';
import { startBird, type BirdHandle, type BirdNeighbor } from '../peers/bird.js';

let counter = 0;

/** A loopback address no other test in this run uses (127.64.0.0/10 is all on lo). */
export function loopbackAddress(): string {
  const n = (process.pid % 200) * 250 + ++counter;
  return `127.${64 + (n >> 16)}.${(n >> 8) & 255}.${n & 255 || 1}`;
}

export interface StateLine {
  event: string;
  name?: string;
  from?: string;
  to?: string;
  error?: { reason: string; message: string };
  advertised?: number;
}

export interface SpeakerProcess {
  readonly child: ChildProcess;
  readonly lines: StateLine[];
  /** Waits for a state line matching the predicate (already seen or future). */
  waitFor(pred: (l: StateLine) => boolean, what: string, timeoutMs?: number): Promise<StateLine>;
  sync(specs: SessionSpec[]): void;
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  stderr(): string;
}

/** Starts test/interop/driver.ts, optionally inside a network namespace. */
export async function startSpeakerProcess(specs: SessionSpec[], opts: { netns?: string; listen?: { address: string; port: number } } = {}): Promise<SpeakerProcess> {
  const dir = await makeTempDir('ebgp-speaker');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ specs, listen: opts.listen }));
  const argv = [process.execPath, ...nodeArgs('test/interop/driver.ts'), file];
  const full = opts.netns ? ['ip', 'netns', 'exec', opts.netns, ...argv] : argv;
  const child = spawn(full[0]!, full.slice(1), { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: StateLine[] = [];
  let err = '';
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as StateLine);
      } catch {
        // not ours
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  const unhook = onExitSync(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      unhook();
      resolve(code);
    }),
  );
  const proc: SpeakerProcess = {
    child,
    lines,
    async waitFor(pred, what, timeoutMs = 20000) {
      let found: StateLine | undefined;
      await waitFor(async () => {
        if (child.exitCode !== null) throw new Error(`speaker exited ${child.exitCode}: ${err.slice(-2000)}`);
        found = lines.find(pred);
        return { ok: found !== undefined, value: lines.slice(-3) };
      }, { what, timeoutMs, intervalMs: 50 });
      return found!;
    },
    sync(s) {
      child.stdin!.write(`${JSON.stringify({ sync: s })}\n`);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      await removeDir(dir);
      return code;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      await removeDir(dir);
    },
    stderr: () => err,
  };
  await proc.waitFor((l) => l.event === 'ready', 'speaker process ready');
  return proc;
}

export interface BirdPeer {
  readonly bird: BirdHandle;
  /** Where BIRD listens (the session's peerAddress / peerPort). */
  readonly address: string;
  readonly port: number;
  /** Our side's address: BIRD's neighbor, the session's localAddress. */
  readonly local: string;
}

/**
 * A BIRD on a fresh loopback address and port, with one neighbor `ebs` for
 * our speaker at a fresh local address (AS 65010 and passive unless given).
 */
export async function birdPeer(
  t: ExecutionContext,
  opts: { localAs?: number; neighbor?: Partial<BirdNeighbor> } = {},
): Promise<BirdPeer> {
  const port = await freePort();
  const address = loopbackAddress();
  const local = loopbackAddress();
  const bird = await startBird({
    routerId: address,
    localAs: opts.localAs ?? 65001,
    listen: { address, port },
    neighbors: [{ name: 'ebs', address: local, as: 65010, passive: true, ...opts.neighbor }],
  });
  t.teardown(() => bird.stop());
  return { bird, address, port, local };
}

/** A session spec towards `peer` from its local address (eBGP 65010 -> 65001 unless overridden). */
export function specFor(peer: BirdPeer, overrides: Partial<SessionSpec> = {}): SessionSpec {
  return {
    name: 'peer',
    peerAddress: peer.address,
    peerPort: peer.port,
    localAddress: peer.local,
    localAs: 65010,
    peerAs: 65001,
    routerId: peer.local,
    connectTimeout: 3,
    routes: [],
    ...overrides,
  };
}
