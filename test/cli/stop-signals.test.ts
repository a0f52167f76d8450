// A stop signal that arrives while a command is still starting is held and
// handed to its graceful stop once that is installed (src/cli/stop-signals.ts),
// instead of Node's default of exiting at once.

import { spawn } from 'node:child_process';
import test from 'ava';
import { nodeArgs, ROOT } from '../entry.js';

test('SIGTERM during start-up reaches the graceful stop once it is ready; the process is not killed by it', async (t) => {
  const child = spawn(process.execPath, nodeArgs('test/cli/fixtures/hold-signals.ts'), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  t.is(signal, null);
  t.is(code, 0);
  t.is(out, 'started\nstop SIGTERM\n');
});
