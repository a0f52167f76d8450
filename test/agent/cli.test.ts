// `bgp-speaker run` as a process against the test API server: it becomes
// ready on the admin endpoint, writes this node's status entry, and exits 0
// on SIGTERM after closing its sessions.

import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../peers/index.js';
import { apiServer, nodeObject, peerObject, peerStatus, waitUntil } from './helpers.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

test('bgp-speaker run serves /readyz, writes status, and exits 0 on SIGTERM', async (t) => {
  const s = await apiServer(t);
  const port = await freePort();
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.51', podCIDR: '10.244.1.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port, connectRetryTime: 1 }));
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--kubeconfig', s.kubeconfigPath, '--admin-address', '127.0.0.1:0'], {
    env: { ...process.env, NODE_NAME: 'node-1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
  let admin: { address: string; port: number } | undefined;
  await waitUntil(() => {
    for (const line of out.split('\n')) {
      try {
        const rec = JSON.parse(line) as { msg?: string; admin?: { address: string; port: number } };
        if (rec.msg === 'admin endpoint listening') admin = rec.admin;
      } catch {
        // not a log line yet
      }
    }
    return admin !== undefined;
  }, 'the admin endpoint', 30000);
  const url = `http://127.0.0.1:${admin!.port}`;
  t.is((await fetch(`${url}/healthz`)).status, 200);
  await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz 200');
  await waitUntil(() => peerStatus(s, 'peer')?.speakers?.['node-1']?.state !== undefined, 'node-1 status entry');
  const st = (await (await fetch(`${url}/status`)).json()) as { node: string; sessions: { name: string }[] };
  t.is(st.node, 'node-1');
  t.deepEqual(st.sessions.map((x) => x.name), ['peer']);
  process.kill(child.pid!, 'SIGTERM');
  t.is(await exited, 0, out);
});
