// The receiving BIRD 2 of the sender benchmark: one eBGP protocol `sender`
// (AS 65001) for the sender under test, importing everything (RFC 4271
// §9.1: no policy, so the count of imported routes is the count received),
// exporting nothing. Its control socket is polled for the BGP state and the
// imported route count.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startProcess, waitFor, type Proc } from '../../test/peers/proc.js';
import { BirdControl } from './birdctl.js';

export const RECEIVER_AS = 65001;
export const RECEIVER_ADDRESS = '127.0.0.1';

export interface ReceiverHandle {
  readonly proc: Proc;
  readonly ctl: BirdControl;
  readonly spawnedAt: number;
  stop(): Promise<void>;
}

export async function startReceiver(opts: {
  dir: string;
  port: number;
  sender: { address: string; as: number; port?: number };
  /** true: wait for the sender to dial (it is active); false: dial it. */
  passive: boolean;
  /** File names in `dir` (conf, control socket, pid, log); several receivers need their own. Default 'receiver'. */
  name?: string;
}): Promise<ReceiverHandle> {
  const { dir, port, sender } = opts;
  const name = opts.name ?? 'receiver';
  const conf = [
    `router id ${RECEIVER_ADDRESS};`,
    'log stderr { warning, error, fatal };',
    'protocol device { }',
    'protocol bgp sender {',
    `  local ${RECEIVER_ADDRESS} port ${port} as ${RECEIVER_AS};`,
    `  neighbor ${sender.address}${sender.port ? ` port ${sender.port}` : ''} as ${sender.as};`,
    // Loopback is not a directly connected network to BIRD.
    '  multihop;',
    opts.passive ? '  passive on;' : '  connect delay time 1;',
    '  connect retry time 1;',
    '  error wait time 1, 2;',
    '  graceful restart off;',
    '  ipv4 { import all; export none; };',
    '}',
  ].join('\n');
  const file = join(dir, `${name}.conf`);
  const sock = join(dir, `${name}.ctl`);
  await writeFile(file, conf + '\n');
  const spawnedAt = performance.now();
  const proc = startProcess({ argv: ['/usr/sbin/bird', '-f', '-c', file, '-s', sock, '-P', join(dir, `${name}.pid`)], dir, logName: `${name}.log` });
  let ctl: BirdControl | null = null;
  await waitFor(
    async () => {
      if (!proc.isRunning()) throw new Error(`receiver BIRD exited: ${proc.log()}`);
      ctl = await BirdControl.open(sock).catch(() => null);
      return { ok: ctl !== null, value: 'no control socket yet' };
    },
    { what: 'receiver BIRD control socket', timeoutMs: 10000, intervalMs: 5 },
  );
  const c = ctl as unknown as BirdControl;
  return {
    proc,
    ctl: c,
    spawnedAt,
    async stop() {
      c.close();
      await proc.stop();
    },
  };
}
