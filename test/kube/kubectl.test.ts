// The real kubectl (KUBECTL_BIN, default /usr/bin/kubectl) against the test
// API server: discovery falls back from aggregated discovery, `get bgppeer`
// prints the CRD's columns from server-side Tables, `describe` shows status
// and the events of the BGPPeer, and `get events --field-selector` filters
// on the server.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ApiServer } from './server.js';
import { bgpPeer, serverFor } from './helpers.js';
import { KUBECTL, requirePeer, testWithPeer } from '../peers/available.js';

const run = promisify(execFile);
const maybe = testWithPeer('kubectl');

// Async on purpose: the server runs in this process, a synchronous child would block it.
async function kubectl(s: ApiServer, ...args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, ['--kubeconfig', s.kubeconfigPath, ...args], { timeout: 30000 });
  return stdout;
}

function rows(output: string): string[][] {
  return output
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

function peerEvent(name: string, involved: string, reason: string, message: string, type: string, count: number, ageSeconds: number): Record<string, unknown> {
  const first = new Date(Date.now() - ageSeconds * 1000).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { apiVersion: 'network.openyurt.io/v1alpha1', kind: 'BGPPeer', name: involved },
    reason,
    message,
    type,
    count,
    firstTimestamp: first,
    lastTimestamp: new Date().toISOString(),
    source: { component: 'bgp-speaker', host: 'node-1' },
  };
}

async function seed(s: ApiServer): Promise<void> {
  s.store.put('BGPPeer', '', 'peer', bgpPeer('peer', { localSpeakers: ['node-1', 'node-2'], peerIP: '172.16.0.1' }));
  s.store.put('BGPPeer', '', 'lan-b', bgpPeer('lan-b', { localSpeakers: ['node-9'], localAsNumber: 4200000001, peerIP: 'fd00::1', peerAsNumber: 65002 }));
  const uid = s.store.get('BGPPeer', '', 'peer')!.metadata.uid;
  const withUid = (e: Record<string, any>) => ({ ...e, involvedObject: { ...e.involvedObject, uid } });
  s.store.put('Event', 'default', 'peer.a', withUid(peerEvent('peer.a', 'peer', 'FailedEstablish', 'connect to 172.16.0.1:179 refused', 'Warning', 3, 90)));
  s.store.put('Event', 'default', 'peer.b', withUid(peerEvent('peer.b', 'peer', 'Established', 'session with 172.16.0.1 established', 'Normal', 1, 5)));
  s.store.put('Event', 'default', 'lan-b.a', peerEvent('lan-b.a', 'lan-b', 'SecretNotFound', 'secret kube-system/bgp-secret not found', 'Warning', 1, 5));
}

maybe('kubectl get bgppeer prints the CRD columns for every BGPPeer', async (t) => {
  if (!requirePeer(t, 'kubectl')) return;
  const s = await serverFor(t);
  await seed(s);
  const out = rows(await kubectl(s, 'get', 'bgppeer'));
  t.deepEqual(out[0], ['NAME', 'LOCALSPEAKERS', 'LOCALASNUMBER', 'PEERIP', 'PEERASNUMBER', 'AGE']);
  t.deepEqual(out.slice(1).map((r) => r.slice(0, 5)), [
    ['lan-b', '["node-9"]', '4200000001', 'fd00::1', '65002'],
    ['peer', '["node-1","node-2"]', '65010', '172.16.0.1', '65001'],
  ]);
  t.regex(out[1][5], /^\d+s$/);
  const table = s.requests.find((r) => r.path === '/apis/network.openyurt.io/v1alpha1/bgppeers' && /as=Table/.test(r.accept ?? ''));
  t.truthy(table, 'kubectl asked for a server-side Table');
  const shortName = rows(await kubectl(s, 'get', 'bgpp', 'peer'));
  t.is(shortName.length, 2);
  t.is(shortName[1][0], 'peer');
});

maybe('kubectl get bgppeer -o wide shows ESTABLISHED from the status conditions', async (t) => {
  if (!requirePeer(t, 'kubectl')) return;
  const s = await serverFor(t);
  await seed(s);
  const before = rows(await kubectl(s, 'get', 'bgppeer', 'peer', '-o', 'wide'));
  t.deepEqual(before[0], ['NAME', 'LOCALSPEAKERS', 'LOCALASNUMBER', 'PEERIP', 'PEERASNUMBER', 'AGE', 'ESTABLISHED']);
  t.is(before[1].length, 6, 'no ESTABLISHED value before status is written');
  const stored = s.store.get('BGPPeer', '', 'peer')!;
  stored.status = {
    conditions: [
      { type: 'Ready', status: 'False', reason: 'X', message: '', lastTransitionTime: '2024-05-01T10:00:00Z' },
      { type: 'Established', status: 'True', reason: 'AllEstablished', message: '', lastTransitionTime: '2024-05-01T10:00:00Z' },
    ],
  };
  s.store.put('BGPPeer', '', 'peer', stored);
  const after = rows(await kubectl(s, 'get', 'bgppeer', 'peer', '-o', 'wide'));
  t.is(after[1][6], 'True');
});

maybe('kubectl describe bgppeer shows spec, per-speaker status and the BGPPeer events', async (t) => {
  if (!requirePeer(t, 'kubectl')) return;
  const s = await serverFor(t);
  await seed(s);
  const stored = s.store.get('BGPPeer', '', 'peer')!;
  stored.status = { speakers: { 'node-1': { state: 'Established', peerRouterID: '172.16.0.1', advertisedPrefixes: 4 }, 'node-2': { state: 'Active', lastError: 'connect refused' } } };
  s.store.put('BGPPeer', '', 'peer', stored);
  const out = await kubectl(s, 'describe', 'bgppeer', 'peer');
  t.regex(out, /^Name:\s+peer$/m);
  t.regex(out, /^Kind:\s+BGPPeer$/m);
  t.regex(out, /^\s+Peer IP:\s+172\.16\.0\.1$/m);
  t.regex(out, /^\s+node-1:\n\s+Advertised Prefixes:\s+4\n\s+Peer Router ID:\s+172\.16\.0\.1\n\s+State:\s+Established$/m);
  t.regex(out, /^\s+node-2:\n\s+Last Error:\s+connect refused\n\s+State:\s+Active$/m);
  const events = out.slice(out.indexOf('Events:'));
  t.regex(events, /Type\s+Reason\s+Age\s+From\s+Message/);
  t.regex(events, /Warning\s+FailedEstablish\s+\S+ \(x3 over \S+\)\s+bgp-speaker\s+connect to 172\.16\.0\.1:179 refused/);
  t.regex(events, /Normal\s+Established\s+\S+\s+bgp-speaker\s+session with 172\.16\.0\.1 established/);
  t.notRegex(events, /SecretNotFound/);
  const search = s.requests.find((r) => r.path.endsWith('/events') && r.query.fieldSelector?.includes('involvedObject.name=peer'));
  t.truthy(search);
});

maybe('kubectl get events --field-selector lists only the events of that object', async (t) => {
  if (!requirePeer(t, 'kubectl')) return;
  const s = await serverFor(t);
  await seed(s);
  const out = rows(await kubectl(s, 'get', 'events', '--field-selector', 'involvedObject.name=peer'));
  t.deepEqual(out[0], ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  t.deepEqual(out.slice(1).map((r) => r.slice(1)).sort(), [
    ['Normal', 'Established', 'bgppeer/peer', 'session with 172.16.0.1 established'],
    ['Warning', 'FailedEstablish', 'bgppeer/peer', 'connect to 172.16.0.1:179 refused'],
  ]);
  const none = await run(KUBECTL, ['--kubeconfig', s.kubeconfigPath, 'get', 'events', '--field-selector', 'involvedObject.name=nothing']);
  t.regex(none.stderr, /No resources found in default namespace/);
});

maybe('kubectl works over HTTPS with the kubeconfig the server writes', async (t) => {
  if (!requirePeer(t, 'kubectl')) return;
  const s = await serverFor(t, { tls: true });
  await seed(s);
  const out = rows(await kubectl(s, 'get', 'bgppeer', 'peer'));
  t.is(out[1][0], 'peer');
});
