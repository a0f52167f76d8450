// `bgp-speaker lab` end to end as a subprocess, as a newcomer runs it: the
// speaker and the collector on loopback, the routes printed, exit 0; and
// `--keep-running` with `bgp-speaker status` against it.

import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../peers/proc.js';
import { ROOT, runCli, startCli } from './helpers.js';

/** examples/lab.yaml on a free port, so parallel runs do not collide. */
async function labConfig(t: { teardown(fn: () => void): void }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ebgp-lab-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const text = readFileSync(join(ROOT, 'examples/lab.yaml'), 'utf8').replace(/peerPort: 1179/, `peerPort: ${port}`);
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  return file;
}

test('lab prints the session and every route the collector learned, with next hops and AS path, and exits 0', async (t) => {
  const r = await runCli(['lab', '--config', await labConfig(t)], 60000);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /lab\s+127\.0\.0\.1:\d+\s+65001\s+Established/);
  t.regex(r.stdout, /Routes the collector learned \(5 of 5\)/);
  for (const [prefix, nextHop] of [
    ['10.244.1.0/24', '127.0.0.11'],
    ['10.244.2.0/24', '127.0.0.12'],
    ['10.244.3.0/24', '127.0.0.13'],
    ['10.244.4.0/24', '127.0.0.14'],
    ['fd00:10:244:4::/64', 'fd00::14'],
  ]) {
    t.regex(r.stdout, new RegExp(`${prefix.replace(/\./g, '\\.')}\\s+${nextHop.replace(/\./g, '\\.')}\\s+65010\\s+IGP`), prefix);
  }
  t.false(r.stdout.includes('lab-md5-password'), 'the MD5 password is never printed');
  t.false(r.stderr.includes('lab-md5-password'));
});

test('lab --keep-running serves the admin endpoint that bgp-speaker status reads', async (t) => {
  const admin = await freePort();
  const p = startCli(['lab', '--config', await labConfig(t), '--keep-running', '--admin-address', `127.0.0.1:${admin}`]);
  t.teardown(() => p.stop());
  await waitFor(async () => ({ ok: p.stdout().includes('Running.'), value: p.stdout() + p.stderr() }), { what: 'lab running', timeoutMs: 60000 });
  const table = await runCli(['status', '--admin-address', `127.0.0.1:${admin}`]);
  t.is(table.code, 0, table.stderr);
  t.regex(table.stdout, /^NAME\s+PEER\s+AS\s+STATE/m);
  t.regex(table.stdout, /lab\s+127\.0\.0\.1:\d+\s+65001\s+Established\s+\S+\s+5\s+0/);
  const json = await runCli(['status', '--admin-address', `127.0.0.1:${admin}`, '-o', 'json']);
  const parsed = JSON.parse(json.stdout) as { sessions: { name: string; state: string; advertisedPrefixes: number }[] };
  t.deepEqual(parsed.sessions.map((s) => [s.name, s.state, s.advertisedPrefixes]), [['lab', 'Established', 5]]);
  t.false(json.stdout.includes('lab-md5-password'));
  p.child.kill('SIGTERM');
  t.is((await p.exited).code, 0);
});
