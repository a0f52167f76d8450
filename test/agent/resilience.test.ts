// The agent and the API server: a restart of the API server, dropped
// watches and an expired resourceVersion (410 Gone) make the agent watch and
// re-list again, while the BGP session and the routes stay untouched
// (BIRD's session uptime does not change). An agent that speaks for no
// BGPPeer watches only BGPPeers and its own Node. `kubectl describe` shows
// each speaker's state and the FailedEstablish events.

import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, KUBECTL, requirePeer, testWithPeer, sameSessionSince } from '../peers/index.js';
import { agent, apiServer, bird, eventsOf, nodeObject, peerObject, peerStatus, waitTable, waitUntil } from './helpers.js';

const withBird = testWithPeer('bird');
const execFileP = promisify(execFile);

withBird('after an API server restart, dropped watches and a 410 Gone the agent re-lists while sessions and routes stay untouched', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const s = await apiServer(t);
  const { bird: b, port, protocolOf } = await bird(t, ['127.0.0.41']);
  const proto = protocolOf('127.0.0.41');
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.41', podCIDR: '10.244.1.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port }));
  const a = await agent(t, s, 'node-1');
  await b.waitEstablished(proto);
  await waitTable(b, [`10.244.1.0/24 via 127.0.0.41 from ${proto}`], 'the first route');
  await waitUntil(() => s.watchCount === 4, 'watches on BGPPeers, this Node, Nodes and Secrets');
  const since = (await b.protocol(proto)).since;

  await s.restart();
  await waitUntil(() => s.watchCount === 4, 'the watches after the restart');
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.42', podCIDR: '10.244.2.0/24' }));
  await waitTable(b, [`10.244.1.0/24 via 127.0.0.41 from ${proto}`, `10.244.2.0/24 via 127.0.0.42 from ${proto}`], 'a change after the restart');

  s.dropWatches();
  await waitUntil(() => s.watchCount === 4, 'the watches after the server ended them');
  const lists = () => s.requests.filter((r) => !r.watch && r.method === 'GET' && r.path === '/api/v1/nodes' && !r.query.fieldSelector).length;
  const listsBefore = lists();
  // Cut the watches, then change and compact before the agent is back: its
  // resourceVersion has expired (410 Gone) and only a re-list shows the deletion.
  s.dropWatches({ abrupt: true });
  s.store.delete('Node', '', 'node-2');
  s.store.put('Namespace', '', 'unrelated', {});
  s.compact();
  await waitUntil(() => lists() > listsBefore, 'a re-list of Nodes after 410 Gone');
  await waitTable(b, [`10.244.1.0/24 via 127.0.0.41 from ${proto}`], 'the deletion seen by the re-list');

  const p = await b.protocol(proto);
  t.is(p.bgpState, 'Established');
  t.true(sameSessionSince(p.since, since), `BIRD saw no session reset (${since} -> ${p.since})`);
  t.is(a.speaker.status()[0]!.establishedCount, 1);
  t.true(a.ready());
});

test('an agent that speaks for no BGPPeer watches only BGPPeers and its own Node, and widens its view only while it is a speaker', async (t) => {
  const s = await apiServer(t);
  const port = await freePort();
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.43', podCIDR: '10.244.1.0/24' }));
  s.store.put('Node', '', 'node-3', nodeObject({ name: 'node-3', ip: '127.0.0.44', podCIDR: '10.244.3.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port, connectRetryTime: 1 }));
  const a = await agent(t, s, 'node-3');
  await waitUntil(() => a.ready(), 'the agent to be ready');
  await waitUntil(() => s.watchCount === 2, 'two watches');
  const watches = () => s.requests.filter((r) => r.watch).map((r) => `${r.path}${r.query.fieldSelector ? `?${r.query.fieldSelector}` : ''}`);
  t.deepEqual([...new Set(watches())].sort(), ['/api/v1/nodes?metadata.name=node-3', '/apis/network.openyurt.io/v1alpha1/bgppeers']);
  t.false(a.state().fullView);

  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1', 'node-3'], peerPort: port, connectRetryTime: 1 }));
  await waitUntil(() => s.watchCount === 4, 'Node and Secret watches once a speaker');
  t.true(watches().includes('/api/v1/namespaces/kube-system/secrets'));
  t.true(watches().includes('/api/v1/nodes'));
  await waitUntil(() => peerStatus(s, 'peer')?.speakers?.['node-3'] !== undefined, 'node-3\'s status entry');

  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port, connectRetryTime: 1 }));
  await waitUntil(() => s.watchCount === 2, 'back to two watches');
  await waitUntil(() => peerStatus(s, 'peer')?.speakers?.['node-3'] === undefined, 'node-3\'s entry removed');
  t.deepEqual(a.speaker.status(), []);
});

testWithPeer('bird', 'kubectl')('kubectl describe bgppeer shows each speaker\'s state and the FailedEstablish events', async (t) => {
  if (!requirePeer(t, 'bird', 'kubectl')) return;
  const s = await apiServer(t);
  // BIRD knows node-1 only; node-2's connection is closed by BIRD.
  const { bird: b, port, protocolOf } = await bird(t, ['127.0.0.45']);
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.45', podCIDR: '10.244.1.0/24' }));
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.46', podCIDR: '10.244.2.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1', 'node-2'], peerPort: port, connectRetryTime: 1 }));
  await agent(t, s, 'node-1');
  await agent(t, s, 'node-2');
  await b.waitEstablished(protocolOf('127.0.0.45'));
  await waitUntil(() => eventsOf(s, 'peer', 'FailedEstablish').length > 0, 'node-2 FailedEstablish');
  await waitUntil(
    () => peerStatus(s, 'peer')?.conditions?.[0]?.reason === 'PartiallyEstablished' && peerStatus(s, 'peer')?.speakers?.['node-2']?.lastError !== undefined,
    'the condition PartiallyEstablished',
  );
  const { stdout } = await execFileP(KUBECTL, ['--kubeconfig', s.kubeconfigPath, 'describe', 'bgppeer', 'peer']);
  t.log(stdout);
  t.regex(stdout, /node-1:[\s\S]*State:\s+Established[\s\S]*node-2:/);
  t.regex(stdout, /node-2:[\s\S]*Last Error:\s+\S+[\s\S]*State:\s+(Active|Connect|Idle|OpenSent)/);
  t.regex(stdout, /PartiallyEstablished/);
  t.regex(stdout, /Warning\s+FailedEstablish\s+.*bgp-speaker.*node-2: /);
  t.regex(stdout, /Normal\s+Established\s+.*node-1: session with 127\.0\.0\.1/);
});
