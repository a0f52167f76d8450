// The agent feeds single Node events from its informers into the
// reconciler's engine (Informer.takeChanged -> putNode/deleteNode). After a
// burst of adds, pod CIDR changes, relabels and deletions on the API server,
// its desired state must equal desiredState over the objects the server
// holds, and so must the election it writes into status.

import test from 'ava';
import { desiredState } from '../../src/controller/desired-state.js';
import type { BGPPeer, Node, ObjectSet } from '../../src/controller/resources.js';
import { agent, apiServer, nodeObject, peerObject, waitUntil } from './helpers.js';

test('after a burst of Node events the agent\'s desired state equals desiredState over the server\'s objects', async (t) => {
  const s = await apiServer(t);
  const serverObjects = (): ObjectSet => ({
    bgpPeers: s.store.list('BGPPeer') as unknown as BGPPeer[],
    nodes: s.store.list('Node') as unknown as Node[],
    secrets: [],
  });
  for (let i = 1; i <= 30; i++) {
    s.store.put('Node', '', `node-${i}`, nodeObject({ name: `node-${i}`, ip: `127.0.1.${i}`, podCIDR: `10.244.${i}.0/24` }));
  }
  // One peer lists node-1; the other elects three speakers among lan=a by rendezvous hashing.
  s.store.put('BGPPeer', '', 'listed', peerObject('listed', { localSpeakers: ['node-1'], peerPort: 1 }));
  s.store.put('BGPPeer', '', 'elected', peerObject('elected', { speakerCount: 30, peerIP: '127.0.0.2', peerPort: 1 }));
  const a = await agent(t, s, 'node-1');
  const converged = (): boolean => {
    const got = a.reconciler.state;
    return got !== null && JSON.stringify(got) === JSON.stringify(desiredState(serverObjects(), 'node-1'));
  };
  await waitUntil(() => a.ready() && converged(), 'the first desired state');
  t.is(a.reconciler.state!.sessions.length, 2);

  for (let i = 31; i <= 40; i++) {
    s.store.put('Node', '', `node-${i}`, nodeObject({ name: `node-${i}`, ip: `127.0.1.${i}`, podCIDR: `10.244.${i}.0/24` }));
  }
  for (let i = 2; i <= 10; i += 2) {
    s.store.put('Node', '', `node-${i}`, nodeObject({ name: `node-${i}`, ip: `127.0.1.${i}`, podCIDR: `10.245.${i}.0/24` }));
  }
  for (let i = 3; i <= 11; i += 2) {
    s.store.put('Node', '', `node-${i}`, nodeObject({ name: `node-${i}`, ip: `127.0.1.${i}`, podCIDR: `10.244.${i}.0/24`, labels: { lan: 'b' } }));
  }
  for (let i = 12; i <= 20; i++) s.store.delete('Node', '', `node-${i}`);
  await waitUntil(converged, 'the desired state after the burst');

  const routes = a.reconciler.state!.sessions.find((x) => x.name === 'listed')!.routes;
  // 40 Nodes, minus 5 relabelled to lan=b, minus 9 deleted.
  t.is(routes.length, 26);
  t.true(routes.some((r) => r.prefix === '10.245.2.0/24'));
  t.false(routes.some((r) => r.prefix === '10.244.2.0/24'));
  t.deepEqual(a.state().speakerFor, ['elected', 'listed']);
});
