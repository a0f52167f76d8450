// The real @kubernetes/client-node against the test API server: typed APIs
// list, get, create and patch (including bgppeers/status with a merge patch
// and Events), Watch streams with bookmarks and timeouts, and informers that
// re-list after a 410 Gone.

import test from 'ava';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type CoreV1Event,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { bgpPeer, group, peersPath, serverFor, until, version } from './helpers.js';

const plural = 'bgppeers';

function kubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

function statusCode(e: unknown): number | undefined {
  return (e as { code?: number }).code;
}

test('client-node creates, gets and lists BGPPeers and sees the server-set metadata', async (t) => {
  const s = await serverFor(t);
  const custom = kubeConfig(s.kubeconfigPath).makeApiClient(CustomObjectsApi);
  const created = (await custom.createClusterCustomObject({ group, version, plural, body: bgpPeer('peer') })) as any;
  t.is(created.metadata.generation, 1);
  const got = (await custom.getClusterCustomObject({ group, version, plural, name: 'peer' })) as any;
  t.is(got.metadata.uid, created.metadata.uid);
  const list = (await custom.listClusterCustomObject({ group, version, plural })) as any;
  t.deepEqual(list.items.map((p: any) => p.metadata.name), ['peer']);
  t.is(list.metadata.resourceVersion, String(s.store.resourceVersion));
  const err = await t.throwsAsync(custom.getClusterCustomObject({ group, version, plural, name: 'missing' }));
  t.is(statusCode(err), 404);
});

test('client-node merge-patches bgppeers/status without touching spec or generation', async (t) => {
  const s = await serverFor(t);
  const custom = kubeConfig(s.kubeconfigPath).makeApiClient(CustomObjectsApi);
  await custom.createClusterCustomObject({ group, version, plural, body: bgpPeer('peer') });
  const body = { status: { speakers: { 'node-1': { state: 'Established', peerRouterID: '172.16.0.1', advertisedPrefixes: 3 } } } };
  const patched = (await custom.patchClusterCustomObjectStatus(
    { group, version, plural, name: 'peer', body },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as any;
  t.is(patched.status.speakers['node-1'].advertisedPrefixes, 3);
  t.is(patched.metadata.generation, 1);
  const stored = s.store.get('BGPPeer', '', 'peer')!;
  t.deepEqual(stored.status, body.status);
  t.is(stored.spec.peerAsNumber, 65001);
  const last = s.requests.at(-1)!;
  t.is(last.method, 'PATCH');
  t.is(last.path, `${peersPath}/peer/status`);
  t.is(last.contentType, 'application/merge-patch+json');
  const bad = await t.throwsAsync(
    custom.patchClusterCustomObjectStatus(
      { group, version, plural, name: 'peer', body: { status: { speakers: { 'node-1': { state: 'Up' } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    ),
  );
  t.is(statusCode(bad), 422);
});

test('client-node creates and patches Events and lists them by involvedObject field selector', async (t) => {
  const s = await serverFor(t);
  const core = kubeConfig(s.kubeconfigPath).makeApiClient(CoreV1Api);
  const now = new Date();
  const event: CoreV1Event = {
    metadata: { name: 'peer.1', namespace: 'default' },
    involvedObject: { apiVersion: `${group}/${version}`, kind: 'BGPPeer', name: 'peer', uid: 'u-1' },
    reason: 'FailedEstablish',
    message: 'connect refused',
    type: 'Warning',
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
    source: { component: 'bgp-speaker', host: 'node-1' },
  };
  await core.createNamespacedEvent({ namespace: 'default', body: event });
  await core.createNamespacedEvent({ namespace: 'default', body: { ...event, metadata: { name: 'other.1' }, involvedObject: { kind: 'BGPPeer', name: 'other' } } });
  const patched = await core.patchNamespacedEvent(
    { name: 'peer.1', namespace: 'default', body: { count: 2, lastTimestamp: new Date(now.getTime() + 1000).toISOString() } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  t.is(patched.count, 2);
  const listed = await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=peer,involvedObject.kind=BGPPeer' });
  t.deepEqual(listed.items.map((e) => e.metadata?.name), ['peer.1']);
  t.is(listed.items[0].count, 2);
});

test('Watch delivers ADDED, MODIFIED and DELETED after the given resourceVersion in order', async (t) => {
  const s = await serverFor(t);
  s.store.put('BGPPeer', '', 'before', bgpPeer('before'));
  const rv = String(s.store.resourceVersion);
  const seen: string[] = [];
  const watch = new Watch(kubeConfig(s.kubeconfigPath));
  const req = await watch.watch(peersPath, { resourceVersion: rv }, (type, obj: KubernetesObject) => seen.push(`${type} ${obj.metadata?.name}`), () => undefined);
  t.teardown(() => req.abort());
  await until(() => s.watchCount === 1);
  s.store.put('BGPPeer', '', 'peer', bgpPeer('peer'));
  s.store.put('BGPPeer', '', 'peer', bgpPeer('peer', { peerAsNumber: 65002 }));
  s.store.delete('BGPPeer', '', 'peer');
  await until(() => seen.length === 3);
  t.deepEqual(seen, ['ADDED peer', 'MODIFIED peer', 'DELETED peer']);
});

test('Watch gets BOOKMARKs carrying the current resourceVersion and ends at timeoutSeconds', async (t) => {
  const s = await serverFor(t, { bookmarkIntervalMs: 50 });
  const bookmarks: string[] = [];
  let ended: unknown = 'not yet';
  const watch = new Watch(kubeConfig(s.kubeconfigPath));
  const started = Date.now();
  await watch.watch(
    '/api/v1/nodes',
    { allowWatchBookmarks: true, timeoutSeconds: 1 },
    (type, obj: KubernetesObject) => {
      if (type === 'BOOKMARK') bookmarks.push(obj.metadata!.resourceVersion!);
    },
    (err) => {
      ended = err;
    },
  );
  await until(() => bookmarks.length >= 1);
  s.store.put('Node', '', 'n1', {});
  const rv = String(s.store.resourceVersion);
  await until(() => bookmarks.includes(rv));
  await until(() => ended !== 'not yet', 5000, 'watch end');
  t.is(ended, null);
  t.true(Date.now() - started >= 900);
});

test('Watch from an expired resourceVersion gets a 410 ERROR event', async (t) => {
  const s = await serverFor(t);
  s.store.put('Node', '', 'n1', {});
  const old = String(s.store.resourceVersion);
  s.store.put('Node', '', 'n2', {});
  s.compact();
  const events: { type: string; code?: number }[] = [];
  let done = false;
  await new Watch(kubeConfig(s.kubeconfigPath)).watch('/api/v1/nodes', { resourceVersion: old }, (type, obj: any) => events.push({ type, code: obj.code }), () => {
    done = true;
  });
  await until(() => done);
  t.deepEqual(events, [{ type: 'ERROR', code: 410 }]);
});

test('an informer re-watches from its last resourceVersion when the server ends the watch', async (t) => {
  const s = await serverFor(t);
  const kc = kubeConfig(s.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode());
  const added: string[] = [];
  informer.on('add', (n) => added.push(n.metadata!.name!));
  s.store.put('Node', '', 'n1', {});
  await informer.start();
  t.teardown(() => informer.stop());
  await until(() => s.watchCount === 1);
  s.store.put('Node', '', 'n2', {});
  await until(() => added.length === 2);
  const lastRv = s.store.resourceVersion;
  s.dropWatches();
  await until(() => s.watchCount === 1, 5000, 'the informer to watch again');
  const watches = s.requests.filter((r) => r.watch);
  t.is(watches.at(-1)!.query.resourceVersion, String(lastRv));
  t.is(s.requests.filter((r) => r.path === '/api/v1/nodes' && !r.watch).length, 1);
  s.store.put('Node', '', 'n3', {});
  await until(() => added.length === 3);
  t.deepEqual(added, ['n1', 'n2', 'n3']);
});

test('an informer whose resourceVersion expired gets 410 and re-lists, seeing deletions it missed', async (t) => {
  const s = await serverFor(t);
  const kc = kubeConfig(s.kubeconfigPath);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const informer = makeInformer<KubernetesObject>(kc, peersPath, () => custom.listClusterCustomObject({ group, version, plural }) as any);
  const deleted: string[] = [];
  informer.on('delete', (p) => deleted.push(p.metadata!.name!));
  s.store.put('BGPPeer', '', 'a', bgpPeer('a'));
  s.store.put('BGPPeer', '', 'b', bgpPeer('b'));
  await informer.start();
  t.teardown(() => informer.stop());
  await until(() => informer.list().length === 2 && s.watchCount === 1);
  await informer.stop();
  await until(() => s.watchCount === 0);
  s.store.delete('BGPPeer', '', 'b');
  s.store.put('BGPPeer', '', 'c', bgpPeer('c'));
  s.compact();
  await informer.start();
  await until(() => informer.list().length === 2 && informer.list().some((p) => p.metadata!.name === 'c'), 5000, 're-list');
  t.deepEqual(informer.list().map((p) => p.metadata!.name).sort(), ['a', 'c']);
  t.deepEqual(deleted, ['b']);
  const lists = s.requests.filter((r) => r.path === peersPath && !r.watch);
  t.is(lists.length, 2);
  const expired = s.requests.filter((r) => r.watch && r.query.resourceVersion !== undefined);
  t.true(expired.length >= 2);
});

test('client-node talks HTTPS to the server with the self-signed CA from the kubeconfig', async (t) => {
  const s = await serverFor(t, { tls: true });
  if (!s.url.startsWith('https:')) {
    t.log('openssl not available: plain HTTP');
  }
  const core = kubeConfig(s.kubeconfigPath).makeApiClient(CoreV1Api);
  const namespaces = await core.listNamespace();
  t.true(namespaces.items.some((n) => n.metadata?.name === 'kube-system'));
});
