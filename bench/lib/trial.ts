// One trial of the sender benchmark: a fresh receiver and a fresh sender,
// then the receiver's control socket is polled every POLL_MS for the BGP
// state and the imported route count. Measured: start -> Established,
// Established -> all N routes held by the receiver, and the sender's peak
// RSS and CPU seconds just before it is stopped.

import { join } from 'node:path';
import { freePort, makeTempDir, removeDir } from '../../test/peers/proc.js';
import { usage } from './procstat.js';
import { startReceiver, RECEIVER_ADDRESS, RECEIVER_AS, type ReceiverHandle } from './receiver.js';
import type { Sender, SenderRun } from './senders.js';
import { LOCAL_AS } from './speaker-config.js';
import type { Workload } from './workloads.js';

const POLL_MS = 2;
const TIMEOUT_MS = 10 * 60 * 1000;
/** A sender that is not Established by then will not be. */
const ESTABLISH_TIMEOUT_MS = 60 * 1000;

export interface TrialResult {
  /** Seconds from spawn (or, for a passive sender, from the receiver's spawn) to Established. */
  readonly established: number;
  /** Seconds from Established to the receiver holding all N routes. */
  readonly advertise: number;
  readonly total: number;
  readonly peakRssMb: number;
  readonly cpuSeconds: number;
  readonly note?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runTrial(sender: Sender, w: Workload, keepDir = false): Promise<TrialResult> {
  const dir = await makeTempDir(`bench-${sender.name}`);
  const sessions = w.sessions ?? 1;
  const ports: number[] = [];
  while (ports.length < sessions) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const port = ports[0]!;
  const rxSpec = { address: RECEIVER_ADDRESS, port, ports, as: RECEIVER_AS };
  // One receiving BIRD per session (BIRD 2.0 listens on one port).
  const receivers: ReceiverHandle[] = [];
  const startReceivers = async (passive: boolean, senderPort?: number): Promise<number> => {
    for (const [i, p] of ports.entries()) {
      const name = i === 0 ? 'receiver' : `receiver${i + 1}`;
      receivers.push(await startReceiver({ dir, port: p, name, sender: { address: sender.address, as: LOCAL_AS, port: senderPort }, passive }));
    }
    return receivers[0]!.spawnedAt;
  };
  let run: SenderRun | null = null;
  try {
    let t0: number;
    if (sender.passive) {
      run = await sender.start(w, rxSpec, dir);
      t0 = await startReceivers(false, run.listenPort);
    } else {
      await startReceivers(true);
      run = await sender.start(w, rxSpec, dir);
      t0 = run.spawnedAt;
    }
    let tE = 0;
    let tR = 0;
    const deadline = performance.now() + TIMEOUT_MS;
    for (;;) {
      if (!run.proc.isRunning()) throw new Error(`${sender.name} exited:\n${run.proc.log().slice(-2000)}`);
      if (!tE && performance.now() > t0 + ESTABLISH_TIMEOUT_MS) throw new Error(`${sender.name}: not Established after ${ESTABLISH_TIMEOUT_MS / 1000} s`);
      if (performance.now() > deadline) throw new Error(`${sender.name}: timed out (${tE ? 'routes' : 'Established'})`);
      await run.tick?.();
      // Every session: Established when all are, all routes when every one holds N.
      let established = true;
      let complete = true;
      for (const rx of receivers) {
        const p = await rx.ctl.protocol('sender');
        established &&= p.bgpState === 'Established';
        complete &&= p.imported >= w.n;
      }
      const now = performance.now();
      if (!tE && established) tE = now;
      if (tE && complete) {
        tR = now;
        break;
      }
      await sleep(POLL_MS);
    }
    const u = usage(run.proc.pid);
    return {
      established: (tE - t0) / 1000,
      advertise: (tR - tE) / 1000,
      total: (tR - t0) / 1000,
      peakRssMb: u?.peakRssMb ?? NaN,
      cpuSeconds: u?.cpuSeconds ?? NaN,
      note: run.note,
    };
  } finally {
    await run?.stop().catch(() => undefined);
    for (const rx of receivers) await rx.stop().catch(() => undefined);
    if (!keepDir) await removeDir(dir);
    else process.stderr.write(`bench: kept ${join(dir)}\n`);
  }
}
