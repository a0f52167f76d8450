// loadEndpoint (src/controller/kube-endpoint.ts): the API server address and
// credentials read without client-node, from a service-account directory
// and environment made in a temporary directory, and from kubeconfig files
// of every kind it reads; null for the kinds it leaves to client-node; an
// error naming the file for one it cannot read. Then, against the test API
// server in client-certificate mode, a list authenticated by the
// certificate files its kubeconfig names.

import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeApi, type KubeEndpoint } from '../../src/controller/kube.js';
import { loadEndpoint, TOKEN_REREAD_MS } from '../../src/controller/kube-endpoint.js';
import { serverFor } from './helpers.js';

function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kube-endpoint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What the endpoint adds to one request that starts with an Accept header. */
async function applied(ep: KubeEndpoint): Promise<RequestOptions> {
  const opts: RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
  await ep.apply(opts);
  return opts;
}

function header(opts: RequestOptions, name: string): unknown {
  return (opts.headers as Record<string, unknown> | undefined)?.[name];
}

/** Random bytes that stand in for PEM: loadEndpoint passes them on unread. */
const blob = (): Buffer => randomBytes(48);

/** A service-account directory with a token and a CA. */
function serviceAccount(t: ExecutionContext, token: string, ca: Buffer): string {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), `${token}\n`);
  writeFileSync(join(dir, 'ca.crt'), ca);
  return dir;
}

/** A kubeconfig with one context per entry, the current one named. */
function kubeconfig(
  contexts: { name: string; cluster: Record<string, unknown>; user: Record<string, unknown> }[],
  current: string,
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((c) => ({ name: `${c.name}-cluster`, cluster: c.cluster })),
    users: contexts.map((c) => ({ name: `${c.name}-user`, user: c.user })),
    contexts: contexts.map((c) => ({ name: c.name, context: { cluster: `${c.name}-cluster`, user: `${c.name}-user` } })),
    'current-context': current,
  });
}

function writeConfig(dir: string, text: string, name = 'config'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('in a pod the endpoint is the service host and port, with the CA and token of the service account', async (t) => {
  const ca = blob();
  const token = randomBytes(8).toString('hex');
  const dir = serviceAccount(t, token, ca);
  const ep = await loadEndpoint(undefined, { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '6443' }, serviceAccountDir: dir });
  t.truthy(ep);
  t.is(ep!.server, 'https://10.96.0.1:6443');
  const opts = await applied(ep!);
  t.true(Buffer.isBuffer(opts.ca) && (opts.ca as Buffer).equals(ca));
  t.is(header(opts, 'Authorization'), `Bearer ${token}`);
  t.is(header(opts, 'Accept'), 'application/json', 'headers already set are kept');
  t.is(opts.cert, undefined);
  t.is(opts.rejectUnauthorized, undefined);
});

test('an IPv6 service host is put in brackets and the port defaults to 443', async (t) => {
  const dir = serviceAccount(t, 'x', blob());
  const ep = await loadEndpoint(undefined, { env: { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1' }, serviceAccountDir: dir });
  t.is(ep?.server, 'https://[fd00:10:96::1]:443');
  t.notThrows(() => new URL(ep!.server), 'the server is a valid URL');
  t.is(new URL(ep!.server).hostname, '[fd00:10:96::1]');
});

test('a rotated service-account token is used once the re-read interval has passed, not before', async (t) => {
  const dir = serviceAccount(t, 'first', blob());
  let now = 1_000;
  const ep = await loadEndpoint(undefined, { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: dir, now: () => now });
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer first');
  writeFileSync(join(dir, 'token'), 'second\n');
  now += TOKEN_REREAD_MS / 2;
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer first', 'the cached token within the interval');
  now += TOKEN_REREAD_MS / 2 + 1;
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer second');
});

test('the re-read interval of a token file can be set', async (t) => {
  const dir = serviceAccount(t, 'a', blob());
  let now = 0;
  const ep = await loadEndpoint(undefined, { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: dir, now: () => now, tokenRereadMs: 10 });
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer a');
  writeFileSync(join(dir, 'token'), 'b');
  now = 11;
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer b');
});

test('a missing service-account CA is an error naming the file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), 'x');
  const err = await t.throwsAsync(loadEndpoint(undefined, { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: dir }));
  t.true(err!.message.includes(join(dir, 'ca.crt')), err!.message);
});

test('--kubeconfig wins over the service account', async (t) => {
  const sa = serviceAccount(t, 'pod-token', blob());
  const dir = tempDir(t);
  const file = writeConfig(dir, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.7:6443' }, user: { token: 'file-token' } }], 'c'));
  const ep = await loadEndpoint(file, { env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, serviceAccountDir: sa });
  t.is(ep?.server, 'https://192.0.2.7:6443');
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer file-token');
});

test('current-context picks the cluster and user among several contexts', async (t) => {
  const dir = tempDir(t);
  const ca = blob();
  const file = writeConfig(
    dir,
    kubeconfig(
      [
        { name: 'one', cluster: { server: 'https://192.0.2.1' }, user: { token: 'token-one' } },
        { name: 'two', cluster: { server: 'https://192.0.2.2:8443/prefix', 'certificate-authority-data': ca.toString('base64') }, user: { token: 'token-two' } },
        { name: 'three', cluster: { server: 'https://192.0.2.3' }, user: { token: 'token-three' } },
      ],
      'two',
    ),
  );
  const ep = await loadEndpoint(file, { env: {} });
  t.is(ep?.server, 'https://192.0.2.2:8443/prefix');
  const opts = await applied(ep!);
  t.is(header(opts, 'Authorization'), 'Bearer token-two');
  t.true((opts.ca as Buffer).equals(ca));
});

test('a YAML kubeconfig from $KUBECONFIG is read when no file is given', async (t) => {
  const dir = tempDir(t);
  const file = writeConfig(
    dir,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: lab',
      '  cluster:',
      '    server: https://[2001:db8::5]:6443',
      '    insecure-skip-tls-verify: true',
      '    tls-server-name: api.lab.example',
      'users:',
      '- name: admin',
      '  user:',
      '    token: yaml-token',
      'contexts:',
      '- name: lab',
      '  context: {cluster: lab, user: admin}',
      'current-context: lab',
      '',
    ].join('\n'),
    'lab.yaml',
  );
  const ep = await loadEndpoint(undefined, { env: { KUBECONFIG: file } });
  t.is(ep?.server, 'https://[2001:db8::5]:6443');
  const opts = await applied(ep!);
  t.is(opts.rejectUnauthorized, false);
  t.is(opts.servername, 'api.lab.example');
  t.is(header(opts, 'Authorization'), 'Bearer yaml-token');
  t.is(opts.ca, undefined);
});

test('without insecure-skip-tls-verify the server certificate is verified', async (t) => {
  const dir = tempDir(t);
  const file = writeConfig(dir, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1', 'insecure-skip-tls-verify': false }, user: {} }], 'c'));
  const opts = await applied((await loadEndpoint(file, { env: {} }))!);
  t.not(opts.rejectUnauthorized, false);
  t.is(opts.servername, undefined);
  t.is(header(opts, 'Authorization'), undefined, 'no user credentials, no header');
});

test('tokenFile is found relative to the kubeconfig directory and re-read after the interval', async (t) => {
  const dir = tempDir(t);
  const sub = join(dir, 'kube');
  mkdirSync(join(sub, 'tokens'), { recursive: true });
  writeFileSync(join(sub, 'tokens', 'agent'), 'from-file\n');
  const file = writeConfig(sub, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1' }, user: { tokenFile: 'tokens/agent' } }], 'c'));
  let now = 0;
  const ep = await loadEndpoint(file, { env: {}, now: () => now });
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer from-file');
  writeFileSync(join(sub, 'tokens', 'agent'), 'rotated\n');
  now = TOKEN_REREAD_MS + 1;
  t.is(header(await applied(ep!), 'Authorization'), 'Bearer rotated');
});

test('an absolute tokenFile is read where it is', async (t) => {
  const dir = tempDir(t);
  const elsewhere = tempDir(t);
  writeFileSync(join(elsewhere, 'tok'), 'absolute');
  const file = writeConfig(dir, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1' }, user: { tokenFile: join(elsewhere, 'tok') } }], 'c'));
  t.is(header(await applied((await loadEndpoint(file, { env: {} }))!), 'Authorization'), 'Bearer absolute');
});

test('inline client-certificate-data and client-key-data are decoded from base64', async (t) => {
  const dir = tempDir(t);
  const cert = blob();
  const key = blob();
  const file = writeConfig(
    dir,
    kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1' }, user: { 'client-certificate-data': cert.toString('base64'), 'client-key-data': key.toString('base64') } }], 'c'),
  );
  const opts = await applied((await loadEndpoint(file, { env: {} }))!);
  t.true((opts.cert as Buffer).equals(cert));
  t.true((opts.key as Buffer).equals(key));
  t.is(header(opts, 'Authorization'), undefined);
});

test('client certificate, key and CA files are read relative to the kubeconfig, or at absolute paths', async (t) => {
  const dir = tempDir(t);
  const elsewhere = tempDir(t);
  const [cert, key, ca] = [blob(), blob(), blob()];
  mkdirSync(join(dir, 'pki'));
  writeFileSync(join(dir, 'pki', 'client.crt'), cert);
  writeFileSync(join(elsewhere, 'client.key'), key);
  writeFileSync(join(dir, 'ca.crt'), ca);
  const file = writeConfig(
    dir,
    kubeconfig(
      [{ name: 'c', cluster: { server: 'https://192.0.2.1', 'certificate-authority': 'ca.crt' }, user: { 'client-certificate': 'pki/client.crt', 'client-key': join(elsewhere, 'client.key') } }],
      'c',
    ),
  );
  const opts = await applied((await loadEndpoint(file, { env: {} }))!);
  t.true((opts.cert as Buffer).equals(cert));
  t.true((opts.key as Buffer).equals(key));
  t.true((opts.ca as Buffer).equals(ca));
});

test('inline data wins over a file path for the same item', async (t) => {
  const dir = tempDir(t);
  const inline = blob();
  writeFileSync(join(dir, 'ca.crt'), blob());
  const file = writeConfig(
    dir,
    kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1', 'certificate-authority': 'ca.crt', 'certificate-authority-data': inline.toString('base64') }, user: {} }], 'c'),
  );
  t.true(((await applied((await loadEndpoint(file, { env: {} }))!)).ca as Buffer).equals(inline));
});

const leftToClientNode: [string, Record<string, unknown>, Record<string, unknown>][] = [
  ['an exec credential plugin', {}, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws', args: ['eks', 'get-token'] } }],
  ['an auth-provider', {}, { 'auth-provider': { name: 'oidc', config: { 'id-token': 'x' } } }],
  ['a proxy-url', { 'proxy-url': 'http://127.0.0.1:3128' }, { token: 't' }],
  ['basic auth (username and password)', {}, { username: 'admin', password: 'secret' }],
  ['impersonation', {}, { token: 't', as: 'system:serviceaccount:kube-system:bgp' }],
];
for (const [what, cluster, user] of leftToClientNode) {
  test(`a kubeconfig with ${what} is left to client-node (null)`, async (t) => {
    const dir = tempDir(t);
    const file = writeConfig(dir, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1', ...cluster }, user }], 'c'));
    t.is(await loadEndpoint(file, { env: {} }), null);
    // The same file with only a token is read: null came from that field.
    const plain = writeConfig(dir, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1' }, user: { token: 't' } }], 'c'), 'plain');
    t.not(await loadEndpoint(plain, { env: {} }), null);
  });
}

test('several files in $KUBECONFIG are left to client-node (null), without reading them', async (t) => {
  const dir = tempDir(t);
  const a = writeConfig(dir, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1' }, user: { token: 't' } }], 'c'), 'a');
  t.is(await loadEndpoint(undefined, { env: { KUBECONFIG: `${a}:${join(dir, 'missing')}` } }), null);
  t.not(await loadEndpoint(undefined, { env: { KUBECONFIG: a } }), null);
});

test('a current context naming no cluster with a server is left to client-node (null)', async (t) => {
  const dir = tempDir(t);
  const file = writeConfig(dir, kubeconfig([{ name: 'c', cluster: { server: 'https://192.0.2.1' }, user: { token: 't' } }], 'other'));
  t.is(await loadEndpoint(file, { env: {} }), null);
});

test('an unreadable kubeconfig is an error naming the file', async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, 'no-such-config');
  const err = await t.throwsAsync(loadEndpoint(missing, { env: {} }));
  t.true(err!.message.startsWith(`kubeconfig ${missing}: `), err!.message);
  const fromEnv = await t.throwsAsync(loadEndpoint(undefined, { env: { KUBECONFIG: missing } }));
  t.true(fromEnv!.message.includes(missing), fromEnv!.message);
});

test('an unparsable kubeconfig is an error naming the file', async (t) => {
  const dir = tempDir(t);
  const file = writeConfig(dir, 'clusters: [\n  - name: a\n    cluster: {server: "https://x"\n');
  const err = await t.throwsAsync(loadEndpoint(file, { env: {} }));
  t.true(err!.message.startsWith(`kubeconfig ${file}: `), err!.message);
});

test('the API server accepts a list authenticated by the client certificate files the kubeconfig names', async (t) => {
  const s = await serverFor(t, { clientCert: true });
  s.store.put('Node', '', 'node-1', { metadata: { name: 'node-1' } });
  const ep = await loadEndpoint(s.kubeconfigPath, { env: {} });
  t.truthy(ep, 'a client-certificate kubeconfig is read without client-node');
  const api = kubeApi(ep!);
  t.teardown(() => api.close());
  const list = await api.listNodes({ fieldSelector: 'metadata.name=node-1' });
  t.deepEqual(list.items.map((n) => n.metadata?.name), ['node-1']);
  const req = s.requests.find((r) => r.path === '/api/v1/nodes');
  t.is(req?.status, 200);
  t.is(req?.clientCert, 'system:node:node-1');
});

test('without the client certificate the same API server answers 401', async (t) => {
  const s = await serverFor(t, { clientCert: true });
  const ep = await loadEndpoint(s.kubeconfigPath, { env: {} });
  const api = kubeApi({ server: ep!.server, apply: (opts) => void (opts.ca = s.ca) });
  t.teardown(() => api.close());
  const err = await t.throwsAsync(api.listNodes());
  t.is((err as { code?: number }).code, 401);
});
