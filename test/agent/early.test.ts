// Early start of the agent (agent.ts): the sessions of BGPPeers that list
// this node in spec.localSpeakers start from the BGPPeers, the Secrets and
// this node's own Node, before the list of all Nodes has arrived, carrying
// this node's own route; End-of-RIB (RFC 4724 §2, §4.1) follows only the
// whole table. Speakers elected by nodeSelector wait for every Node. The
// peer is the lab collector (src/lab/collector.ts), which records the
// End-of-RIB of each session; the list of all Nodes is held back by the
// test API server until the test releases it.

import test, { type ExecutionContext } from 'ava';
import { Collector } from '../../src/lab/collector.js';
import { silentLogger } from '../../src/log.js';
import type { ApiServer, RequestRecord } from '../kube/server.js';
import { LOCAL_AS, PEER_AS, agent, apiServer, nodeObject, peerObject, secretObject, waitUntil } from './helpers.js';

async function collector(t: ExecutionContext, peers: { address: string; md5Key?: string }[]): Promise<Collector> {
  const c = await Collector.start({
    address: '127.0.0.1',
    port: 0,
    localAs: PEER_AS,
    routerId: '127.0.0.1',
    peers: peers.map((p) => ({ ...p, as: LOCAL_AS })),
    log: silentLogger(),
  });
  t.teardown(() => c.close());
  return c;
}

/** A list of all Nodes (no field selector), not a watch. */
const allNodesList = (r: RequestRecord): boolean => r.method === 'GET' && r.path === '/api/v1/nodes' && !r.watch && !r.query.fieldSelector;

function heldLists(s: ApiServer): number {
  return s.requests.filter(allNodesList).length;
}

/** "prefix via nextHop" of the routes the collector holds from `peer`, sorted. */
function table(c: Collector, peer: string): string[] {
  return c
    .routes()
    .filter((r) => r.peer === peer && !r.stale)
    .map((r) => `${r.prefix} via ${r.nextHop}`)
    .sort();
}

test('a listed speaker establishes with its own route before the Node list arrives, and End-of-RIB follows the whole table', async (t) => {
  const s = await apiServer(t);
  const c = await collector(t, [{ address: '127.0.0.31', md5Key: 'early-md5' }]);
  s.store.put('Secret', 'kube-system', 'bgp-secret', secretObject('bgp-secret', 'early-md5'));
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.31', podCIDR: '10.244.1.0/24' }));
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.32', podCIDR: '10.244.2.0/24' }));
  s.store.put('Node', '', 'node-3', nodeObject({ name: 'node-3', ip: '127.0.0.33', podCIDR: '10.244.3.0/24' }));
  s.store.put('Node', '', 'node-4', nodeObject({ name: 'node-4', ip: '127.0.0.34', podCIDR: '10.244.4.0/24', labels: { lan: 'b' } }));
  s.store.put(
    'BGPPeer',
    '',
    'peer',
    peerObject('peer', {
      localSpeakers: ['node-1'],
      peerPort: c.address().port,
      authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } },
    }),
  );
  const release = s.hold(allNodesList);
  t.teardown(release);
  // Routes held when the first End-of-RIB came.
  let atEndOfRib: string[] | null = null;
  c.on('endOfRib', (peer) => {
    atEndOfRib ??= table(c, peer);
  });

  const a = await agent(t, s, 'node-1');
  await c.waitFor((x) => x.sessions().some((p) => p.state === 'Established'), 20000, 'the early session to be Established');
  await c.waitFor((x) => table(x, '127.0.0.31').length > 0, 20000, 'the early route');
  t.true(heldLists(s) > 0, 'the list of all Nodes was asked for and is held');
  t.deepEqual(table(c, '127.0.0.31'), ['10.244.1.0/24 via 127.0.0.31'], 'only the own route is known before the Node list');
  t.deepEqual(c.sessions()[0]!.endOfRib, [], 'no End-of-RIB before the whole table');
  t.deepEqual(a.state().early, ['peer']);
  t.false(a.ready(), 'not ready while the Node list is outstanding');

  // A Node changing while the list is held is in the list served on release.
  s.store.put('Node', '', 'node-3', nodeObject({ name: 'node-3', ip: '127.0.0.33', podCIDR: '10.244.30.0/24' }));
  release();
  const want = ['10.244.1.0/24 via 127.0.0.31', '10.244.2.0/24 via 127.0.0.32', '10.244.30.0/24 via 127.0.0.33'];
  await c.waitFor((x) => x.sessions()[0]!.endOfRib.includes('ipv4'), 20000, 'End-of-RIB');
  t.deepEqual(atEndOfRib, want, 'End-of-RIB came after every selected route, and only those');
  t.deepEqual(table(c, '127.0.0.31'), want);
  await waitUntil(() => a.ready(), 'the agent to be ready');
  t.deepEqual(a.state().early, []);

  // The watches run after the early start: a change after it still arrives, and End-of-RIB is not repeated.
  s.store.put('Node', '', 'node-5', nodeObject({ name: 'node-5', ip: '127.0.0.35', podCIDR: '10.244.5.0/24' }));
  await c.waitFor((x) => table(x, '127.0.0.31').includes('10.244.5.0/24 via 127.0.0.35'), 20000, 'node-5 route');
  t.deepEqual(table(c, '127.0.0.31'), [...want, '10.244.5.0/24 via 127.0.0.35'].sort());
  t.deepEqual(c.sessions()[0]!.endOfRib, ['ipv4']);
  t.is(c.sessions()[0]!.state, 'Established', 'the session was never restarted');
});

test('a speaker elected by nodeSelector starts no session until every Node is known', async (t) => {
  const s = await apiServer(t);
  const c = await collector(t, [{ address: '127.0.0.41' }]);
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.41', podCIDR: '10.245.1.0/24' }));
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.42', podCIDR: '10.245.2.0/24', labels: { lan: 'b' } }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { speakerCount: 1, peerPort: c.address().port }));
  const release = s.hold(allNodesList);
  t.teardown(release);

  const a = await agent(t, s, 'node-1');
  // The agent has read the BGPPeers and its Node and asked for every Node: all it can do before the list.
  await waitUntil(() => a.state().informers.bgppeers?.synced === true && heldLists(s) > 0, 'the BGPPeer informer and the held Node list');
  t.deepEqual(a.speaker.status(), [], 'no session while the candidates are unknown');
  t.deepEqual(a.state().early, []);

  release();
  await c.waitFor((x) => x.sessions()[0]!.endOfRib.includes('ipv4'), 20000, 'End-of-RIB');
  t.deepEqual(table(c, '127.0.0.41'), ['10.245.1.0/24 via 127.0.0.41']);
});
