// `bgp-speaker run` as a process against the test API server: it becomes
// ready on the admin endpoint, writes this node's status entry, and exits 0
// on SIGTERM after closing its sessions; with a token kubeconfig, and with
// one whose user is a client certificate (files beside the kubeconfig),
// which the early start's lists and client-node's watches both present.

import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../kube/server.js';
import { nodeArgs, ROOT } from '../entry.js';
import { freePort } from '../peers/index.js';
import { nodeObject, peerObject, peerStatus, waitUntil } from './helpers.js';

/** Runs `bgp-speaker run` for node-1 against a fresh API server until it is ready and has written status, then stops it with SIGTERM. */
async function runUntilStatus(t: ExecutionContext, serverOptions: ApiServerOptions): Promise<ApiServer> {
  const s = await startApiServer(serverOptions);
  t.teardown(() => s.close());
  const port = await freePort();
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.51', podCIDR: '10.244.1.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port, connectRetryTime: 1 }));
  const child = spawn(process.execPath, [...nodeArgs('src/cli.ts'), 'run', '--kubeconfig', s.kubeconfigPath, '--admin-address', '127.0.0.1:0'], {
    cwd: ROOT,
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
    return admin !== undefined || child.exitCode !== null;
  }, 'the admin endpoint', 30000);
  t.truthy(admin, out);
  const url = `http://127.0.0.1:${admin!.port}`;
  t.is((await fetch(`${url}/healthz`)).status, 200);
  await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz 200');
  await waitUntil(() => peerStatus(s, 'peer')?.speakers?.['node-1']?.state !== undefined, 'node-1 status entry');
  const st = (await (await fetch(`${url}/status`)).json()) as { node: string; sessions: { name: string }[] };
  t.is(st.node, 'node-1');
  t.deepEqual(st.sessions.map((x) => x.name), ['peer']);
  process.kill(child.pid!, 'SIGTERM');
  t.is(await exited, 0, out);
  return s;
}

test('bgp-speaker run serves /readyz, writes status, and exits 0 on SIGTERM', async (t) => {
  await runUntilStatus(t, {});
});

test('bgp-speaker run authenticates with the client certificate its kubeconfig names, in lists, watches and status patches', async (t) => {
  const s = await runUntilStatus(t, { clientCert: true });
  const kinds = (r: (typeof s.requests)[number]) => `${r.method} ${r.path}${r.watch ? ' watch' : ''}`;
  const byCert = s.requests.filter((r) => r.clientCert === 'system:node:node-1');
  t.true(byCert.some((r) => r.method === 'GET' && r.path === '/api/v1/nodes' && !r.watch), 'the early start lists Nodes');
  t.true(byCert.some((r) => r.watch), 'client-node watches');
  t.true(byCert.some((r) => r.method === 'PATCH' && r.path.endsWith('/bgppeers/peer/status')), 'status is patched');
  t.deepEqual(s.requests.filter((r) => r.status === 401).map(kinds), [], 'no request was refused');
});
