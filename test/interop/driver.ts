// Runs a Speaker in a process of its own, for tests that put the speaker in
// a network namespace or kill it (graceful restart). Not a test file.
//   argv[2]: JSON file { specs: SessionSpec[], listen?: {address, port} }
//   stdout:  one JSON line per session state change, {"event":"state",...}
//   stdin:   JSON lines {"sync": SessionSpec[]} or {"stop": "graceful" | "deconfigure"}
//   SIGTERM: stop('graceful'), then exit 0.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Speaker, type SessionSpec } from '../../src/bgp/index.js';
import { keepYoungGenerationSmall } from '../../src/heap.js';
import { createLogger } from '../../src/log.js';

// The same process setting as bgp-speaker (the benchmarks' ours-core runs this).
keepYoungGenerationSmall();

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  specs: SessionSpec[];
  listen?: { address: string; port: number };
};
const log = createLogger({ level: 'debug', stream: process.stderr });
const speaker = new Speaker({ log, listen: config.listen });
const out = (o: unknown): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

speaker.on('state', (e) =>
  out({ event: 'state', name: e.name, from: e.from, to: e.to, error: e.error, advertised: e.status.advertisedPrefixes }),
);
await speaker.start();
speaker.sync(config.specs);
out({ event: 'ready', pid: process.pid });

const stop = async (mode: 'graceful' | 'deconfigure'): Promise<never> => {
  await speaker.stop(mode);
  out({ event: 'stopped', mode });
  process.exit(0);
};
process.on('SIGTERM', () => void stop('graceful'));
createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line) as { sync?: SessionSpec[]; stop?: 'graceful' | 'deconfigure' };
  if (msg.sync) speaker.sync(msg.sync);
  if (msg.stop) void stop(msg.stop);
});
