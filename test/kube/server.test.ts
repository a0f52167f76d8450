// The test API server's HTTP semantics, seen with plain fetch: status codes
// and Status bodies, optimistic concurrency, the status subresource and
// generation, validation, selectors, pagination, watch transitions and
// restarts.

import test from 'ava';
import { bgpPeer, peersPath, raw, serverFor, until } from './helpers.js';

test('creating an object sets uid, creationTimestamp, resourceVersion and generation 1, and drops status', async (t) => {
  const s = await serverFor(t);
  const res = await raw(s, 'POST', peersPath, bgpPeer('peer', {}, { status: { observedGeneration: 7 } }));
  t.is(res.status, 201);
  t.regex(res.body.metadata.uid, /^[0-9a-f-]{36}$/);
  t.regex(res.body.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.is(res.body.metadata.generation, 1);
  t.is(res.body.status, undefined);
  t.is(res.body.metadata.resourceVersion, String(s.store.resourceVersion));
});

test('a second create of the same name is 409 AlreadyExists and a missing object is 404 NotFound', async (t) => {
  const s = await serverFor(t);
  await raw(s, 'POST', peersPath, bgpPeer('peer'));
  const again = await raw(s, 'POST', peersPath, bgpPeer('peer'));
  t.is(again.status, 409);
  t.like(again.body, { kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409 });
  const missing = await raw(s, 'GET', `${peersPath}/nope`);
  t.is(missing.status, 404);
  t.like(missing.body, { reason: 'NotFound', message: 'bgppeers.network.openyurt.io "nope" not found', details: { name: 'nope', kind: 'bgppeers' } });
});

test('an update with a stale resourceVersion is 409 Conflict and a current one succeeds', async (t) => {
  const s = await serverFor(t);
  const created = (await raw(s, 'POST', peersPath, bgpPeer('peer'))).body;
  const first = structuredClone(created);
  first.spec.peerAsNumber = 65002;
  const ok = await raw(s, 'PUT', `${peersPath}/peer`, first);
  t.is(ok.status, 200);
  t.is(ok.body.metadata.generation, 2);
  t.not(ok.body.metadata.resourceVersion, created.metadata.resourceVersion);
  const stale = structuredClone(created);
  stale.spec.peerAsNumber = 65003;
  const res = await raw(s, 'PUT', `${peersPath}/peer`, stale);
  t.is(res.status, 409);
  t.is(res.body.reason, 'Conflict');
  t.is(s.store.get('BGPPeer', '', 'peer')!.spec.peerAsNumber, 65002);
});

test('patches to the main resource ignore status and patches to /status touch only status', async (t) => {
  const s = await serverFor(t);
  await raw(s, 'POST', peersPath, bgpPeer('peer'));
  const statusPatch = { spec: { peerAsNumber: 1 }, status: { speakers: { 'node-1': { state: 'Established', holdTime: 90 } } } };
  const st = await raw(s, 'PATCH', `${peersPath}/peer/status`, statusPatch, 'application/merge-patch+json');
  t.is(st.status, 200);
  t.is(st.body.spec.peerAsNumber, 65001);
  t.is(st.body.metadata.generation, 1);
  t.deepEqual(st.body.status.speakers['node-1'], { state: 'Established', holdTime: 90 });
  const second = await raw(s, 'PATCH', `${peersPath}/peer/status`, { status: { speakers: { 'node-2': { state: 'Active' } } } }, 'application/merge-patch+json');
  t.deepEqual(Object.keys(second.body.status.speakers).sort(), ['node-1', 'node-2']);
  const main = await raw(s, 'PATCH', `${peersPath}/peer`, { spec: { holdTime: 30 }, status: { speakers: null } }, 'application/merge-patch+json');
  t.is(main.status, 200);
  t.is(main.body.spec.holdTime, 30);
  t.is(main.body.metadata.generation, 2);
  t.deepEqual(Object.keys(main.body.status.speakers).sort(), ['node-1', 'node-2']);
});

test('a patch that changes nothing keeps the resourceVersion', async (t) => {
  const s = await serverFor(t);
  const created = (await raw(s, 'POST', peersPath, bgpPeer('peer'))).body;
  const res = await raw(s, 'PATCH', `${peersPath}/peer`, { spec: { peerIP: '172.16.0.1' } }, 'application/merge-patch+json');
  t.is(res.body.metadata.resourceVersion, created.metadata.resourceVersion);
});

test('a resourceVersion inside a merge patch is a precondition', async (t) => {
  const s = await serverFor(t);
  await raw(s, 'POST', peersPath, bgpPeer('peer'));
  const res = await raw(s, 'PATCH', `${peersPath}/peer`, { metadata: { resourceVersion: '1' }, spec: { holdTime: 9 } }, 'application/merge-patch+json');
  t.is(res.status, 409);
});

test('JSON patch operations apply in order and a failed test operation rejects the patch', async (t) => {
  const s = await serverFor(t);
  await raw(s, 'POST', peersPath, bgpPeer('peer'));
  const ok = await raw(s, 'PATCH', `${peersPath}/peer`, [
    { op: 'add', path: '/spec/localSpeakers/-', value: 'node-3' },
    { op: 'replace', path: '/spec/peerAsNumber', value: 65100 },
  ], 'application/json-patch+json');
  t.deepEqual(ok.body.spec.localSpeakers, ['node-1', 'node-2', 'node-3']);
  t.is(ok.body.spec.peerAsNumber, 65100);
  const bad = await raw(s, 'PATCH', `${peersPath}/peer`, [{ op: 'test', path: '/spec/peerAsNumber', value: 1 }, { op: 'remove', path: '/spec/peerIP' }], 'application/json-patch+json');
  t.is(bad.status, 422);
  t.is(s.store.get('bgppeers', '', 'peer')!.spec.peerIP, '172.16.0.1');
});

test('an invalid BGPPeer is 422 Invalid with one cause per field', async (t) => {
  const s = await serverFor(t);
  const res = await raw(s, 'POST', peersPath, bgpPeer('peer', { peerAsNumber: 0, peerIP: '172.16.0.300' }));
  t.is(res.status, 422);
  t.is(res.body.reason, 'Invalid');
  t.deepEqual(res.body.details.causes.map((c: { field: string }) => c.field).sort(), ['spec.peerAsNumber', 'spec.peerIP']);
  t.regex(res.body.message, /^BGPPeer\.network\.openyurt\.io "peer" is invalid: \[/);
  t.is(s.store.get('bgppeers', '', 'peer'), undefined);
});

test('unknown fields of a BGPPeer are pruned as the API server does', async (t) => {
  const s = await serverFor(t);
  const res = await raw(s, 'POST', peersPath, bgpPeer('peer', { colour: 'blue' }));
  t.is(res.status, 201);
  t.false('colour' in res.body.spec);
});

test('events about a cluster-scoped object must live in the default namespace', async (t) => {
  const s = await serverFor(t);
  const event = (ns: string) => ({
    metadata: { name: `peer.${ns}`, namespace: ns },
    involvedObject: { apiVersion: 'network.openyurt.io/v1alpha1', kind: 'BGPPeer', name: 'peer' },
    reason: 'FailedEstablish',
    message: 'connect refused',
    type: 'Warning',
  });
  t.is((await raw(s, 'POST', '/api/v1/namespaces/default/events', event('default'))).status, 201);
  const bad = await raw(s, 'POST', '/api/v1/namespaces/kube-system/events', event('kube-system'));
  t.is(bad.status, 422);
  t.is(bad.body.details.causes[0].field, 'involvedObject.namespace');
  const noNs = await raw(s, 'POST', '/api/v1/namespaces/missing/events', event('missing'));
  t.is(noNs.status, 404);
});

test('secrets fold stringData into base64 data', async (t) => {
  const s = await serverFor(t);
  const res = await raw(s, 'POST', '/api/v1/namespaces/kube-system/secrets', { metadata: { name: 'bgp-secret' }, stringData: { password: 's3cret' } });
  t.is(res.status, 201);
  t.is(Buffer.from(res.body.data.password, 'base64').toString(), 's3cret');
  t.false('stringData' in res.body);
  t.is(res.body.type, 'Opaque');
});

test('lists filter by label and field selectors and page with limit and continue', async (t) => {
  const s = await serverFor(t);
  for (const [name, zone] of [['a', 'x'], ['b', 'y'], ['c', 'x'], ['d', 'x']]) {
    s.store.put('Node', '', name, { metadata: { labels: { zone } } });
  }
  const x = await raw(s, 'GET', `/api/v1/nodes?labelSelector=${encodeURIComponent('zone in (x),zone!=y')}`);
  t.deepEqual(x.body.items.map((n: any) => n.metadata.name), ['a', 'c', 'd']);
  t.is(x.body.metadata.resourceVersion, String(s.store.resourceVersion));
  const byName = await raw(s, 'GET', '/api/v1/nodes?fieldSelector=metadata.name%3Db');
  t.deepEqual(byName.body.items.map((n: any) => n.metadata.name), ['b']);
  const unsupported = await raw(s, 'GET', '/api/v1/nodes?fieldSelector=spec.podCIDR%3Dx');
  t.is(unsupported.status, 400);
  const names: string[] = [];
  let cont = '';
  let pages = 0;
  do {
    const page = await raw(s, 'GET', `/api/v1/nodes?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    names.push(...page.body.items.map((n: any) => n.metadata.name));
    cont = page.body.metadata.continue ?? '';
    pages++;
  } while (cont);
  t.deepEqual(names, ['a', 'b', 'c', 'd']);
  t.is(pages, 2);
});

test('a wrong bearer token is 401 Unauthorized', async (t) => {
  const s = await serverFor(t);
  const res = await raw(s, 'GET', '/api/v1/nodes', undefined, 'application/json', { authorization: 'Bearer wrong' });
  t.is(res.status, 401);
});

test('objects with finalizers are only marked for deletion until the finalizers are removed', async (t) => {
  const s = await serverFor(t);
  await raw(s, 'POST', peersPath, bgpPeer('peer', {}, { metadata: { name: 'peer', finalizers: ['example.com/x'] } }));
  const del = await raw(s, 'DELETE', `${peersPath}/peer`);
  t.truthy(del.body.metadata.deletionTimestamp);
  t.truthy(s.store.get('bgppeers', '', 'peer'));
  await raw(s, 'PATCH', `${peersPath}/peer`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
  t.is(s.store.get('bgppeers', '', 'peer'), undefined);
});

async function readWatch(url: string, token: string, signal: AbortSignal, onLine: (e: any) => void): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal });
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  }
}

test('a watch with a label selector sees an object leave and enter the selection as DELETED and ADDED', async (t) => {
  const s = await serverFor(t);
  s.store.put('Node', '', 'n1', { metadata: { labels: { lan: 'a' } } });
  const rv = s.store.resourceVersion;
  const seen: string[] = [];
  const ac = new AbortController();
  t.teardown(() => ac.abort());
  const done = readWatch(`${s.url}/api/v1/nodes?watch=1&labelSelector=lan%3Da&resourceVersion=${rv}`, s.token, ac.signal, (e) => seen.push(`${e.type} ${e.object.metadata.name}`)).catch(() => undefined);
  await until(() => s.watchCount === 1);
  s.store.put('Node', '', 'n1', { metadata: { labels: { lan: 'b' } } });
  s.store.put('Node', '', 'n2', { metadata: { labels: { lan: 'a' } } });
  s.store.put('Node', '', 'n1', { metadata: { labels: { lan: 'a' } } });
  s.store.delete('Node', '', 'n2');
  await until(() => seen.length === 4);
  t.deepEqual(seen, ['DELETED n1', 'ADDED n2', 'ADDED n1', 'DELETED n2']);
  s.dropWatches();
  await done;
});

test('a watch from a compacted resourceVersion gets an ERROR event with 410 Expired and ends', async (t) => {
  const s = await serverFor(t);
  s.store.put('Node', '', 'n1', {});
  const old = s.store.resourceVersion;
  s.store.put('Node', '', 'n2', {});
  s.compact();
  const seen: any[] = [];
  await readWatch(`${s.url}/api/v1/nodes?watch=1&resourceVersion=${old}`, s.token, AbortSignal.timeout(5000), (e) => seen.push(e));
  t.is(seen.length, 1);
  t.is(seen[0].type, 'ERROR');
  t.like(seen[0].object, { kind: 'Status', code: 410, reason: 'Expired' });
  t.regex(seen[0].object.message, /^too old resource version: /);
  // From the compaction point on, nothing was lost: no error.
  const ac = new AbortController();
  const fresh: any[] = [];
  const p = readWatch(`${s.url}/api/v1/nodes?watch=1&resourceVersion=${s.store.resourceVersion}`, s.token, ac.signal, (e) => fresh.push(e)).catch(() => undefined);
  await until(() => s.watchCount === 1);
  s.store.put('Node', '', 'n3', {});
  await until(() => fresh.length === 1);
  t.is(fresh[0].type, 'ADDED');
  ac.abort();
  await p;
});

test('restart drops connections and keeps the data and the port', async (t) => {
  const s = await serverFor(t);
  await raw(s, 'POST', peersPath, bgpPeer('peer'));
  const ac = new AbortController();
  const watch = readWatch(`${s.url}${peersPath}?watch=1`, s.token, ac.signal, () => undefined);
  await until(() => s.watchCount === 1);
  await s.restart();
  await t.throwsAsync(watch);
  t.is(s.watchCount, 0);
  const res = await raw(s, 'GET', `${peersPath}/peer`);
  t.is(res.status, 200);
  t.is(res.body.spec.peerAsNumber, 65001);
});
