// The agent end to end on loopback: the test API server, a real BIRD 2 peer
// with TCP MD5 (RFC 2385), and in-process agents with distinct node names.
// Elected speakers establish sessions (RFC 4271 §8) and advertise every
// selected node's pod CIDR with that node's InternalIP as NEXT_HOP
// (§5.1.3); Node changes move BIRD's table with UPDATEs only; status and
// conditions tell the state.

import test from 'ava';
import { requirePeer, testWithPeer, sameSessionSince } from '../peers/index.js';
import {
  agent,
  apiServer,
  bird,
  birdTable,
  eventsOf,
  nodeObject,
  peerObject,
  peerStatus,
  secretObject,
  waitTable,
  waitUntil,
} from './helpers.js';

const withBird = testWithPeer('bird');

withBird('elected agents establish MD5 sessions, BIRD holds every pod CIDR with its node as next hop, and status says Established', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const s = await apiServer(t);
  const { bird: b, port, protocolOf } = await bird(t, ['127.0.0.11', '127.0.0.12'], 's3cret-md5');
  s.store.put('Secret', 'kube-system', 'bgp-secret', secretObject('bgp-secret', 's3cret-md5'));
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.11', podCIDR: '10.244.1.0/24' }));
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.12', podCIDR: '10.244.2.0/24' }));
  s.store.put('Node', '', 'node-3', nodeObject({ name: 'node-3', ip: '127.0.0.13', podCIDR: '10.244.3.0/24' }));
  s.store.put(
    'BGPPeer',
    '',
    'peer',
    peerObject('peer', { localSpeakers: ['node-1', 'node-2'], peerPort: port, authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } }),
  );
  const a1 = await agent(t, s, 'node-1');
  const a2 = await agent(t, s, 'node-2');
  const a3 = await agent(t, s, 'node-3');

  await b.waitEstablished(protocolOf('127.0.0.11'));
  await b.waitEstablished(protocolOf('127.0.0.12'));
  const routes = ['10.244.1.0/24 via 127.0.0.11', '10.244.2.0/24 via 127.0.0.12', '10.244.3.0/24 via 127.0.0.13'];
  await waitTable(
    b,
    routes.flatMap((r) => [`${r} from ${protocolOf('127.0.0.11')}`, `${r} from ${protocolOf('127.0.0.12')}`]),
    'both sessions to carry all three pod CIDRs',
  );
  t.deepEqual(a3.speaker.status(), [], 'node-3 is not listed and runs no session');
  t.false(a3.state().fullView, 'node-3 watches only BGPPeers and its own Node');

  await waitUntil(() => peerStatus(s, 'peer')?.conditions?.[0]?.status === 'True', 'condition Established=True');
  const st = peerStatus(s, 'peer');
  for (const [n, ip] of [['node-1', '127.0.0.11'], ['node-2', '127.0.0.12']] as const) {
    t.like(st.speakers[n], { state: 'Established', localAddress: ip, peerRouterID: '127.0.0.1', advertisedPrefixes: 3 });
    t.is(st.speakers[n].lastError, undefined);
    t.regex(st.speakers[n].lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  }
  t.is(st.speakers['node-3'], undefined);
  t.like(st.conditions[0], { type: 'Established', status: 'True', reason: 'AllEstablished', observedGeneration: 1 });
  t.is(st.observedGeneration, 1);
  await waitUntil(() => eventsOf(s, 'peer', 'Established').length === 2, 'one Established event per speaker');
  t.deepEqual(eventsOf(s, 'peer', 'Established').map((e) => e.source.host).sort(), ['node-1', 'node-2']);
  t.true(a1.ready() && a2.ready() && a3.ready());
});

withBird('adding, giving a pod CIDR to, relabelling and deleting Nodes moves BIRD\'s table without a session reset', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const s = await apiServer(t);
  const { bird: b, port, protocolOf } = await bird(t, ['127.0.0.21']);
  const proto = protocolOf('127.0.0.21');
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.21', podCIDR: '10.244.1.0/24' }));
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.22', podCIDR: '10.244.2.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port }));
  const a1 = await agent(t, s, 'node-1');
  await b.waitEstablished(proto);
  await waitTable(b, [`10.244.1.0/24 via 127.0.0.21 from ${proto}`, `10.244.2.0/24 via 127.0.0.22 from ${proto}`], 'the first two routes');
  const since = (await b.protocol(proto)).since;
  const established = a1.speaker.status()[0]!.establishedCount;

  s.store.put('Node', '', 'node-3', nodeObject({ name: 'node-3', ip: '127.0.0.23' }));
  s.store.put('Node', '', 'node-4', nodeObject({ name: 'node-4', ip: '127.0.0.24', podCIDR: '10.244.4.0/24' }));
  await waitTable(
    b,
    [`10.244.1.0/24 via 127.0.0.21 from ${proto}`, `10.244.2.0/24 via 127.0.0.22 from ${proto}`, `10.244.4.0/24 via 127.0.0.24 from ${proto}`],
    'the added node\'s route (node-3 has no pod CIDR yet)',
  );
  s.store.put('Node', '', 'node-3', nodeObject({ name: 'node-3', ip: '127.0.0.23', podCIDR: '10.244.3.0/24' }));
  await waitTable(
    b,
    [
      `10.244.1.0/24 via 127.0.0.21 from ${proto}`,
      `10.244.2.0/24 via 127.0.0.22 from ${proto}`,
      `10.244.3.0/24 via 127.0.0.23 from ${proto}`,
      `10.244.4.0/24 via 127.0.0.24 from ${proto}`,
    ],
    'node-3\'s new pod CIDR',
  );
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.22', podCIDR: '10.244.2.0/24', labels: { lan: 'b' } }));
  s.store.delete('Node', '', 'node-4');
  await waitTable(b, [`10.244.1.0/24 via 127.0.0.21 from ${proto}`, `10.244.3.0/24 via 127.0.0.23 from ${proto}`], 'relabelled and deleted nodes withdrawn');

  const after = await b.protocol(proto);
  t.is(after.bgpState, 'Established');
  t.true(sameSessionSince(after.since, since), `BIRD saw no session reset (${since} -> ${after.since})`);
  t.is(a1.speaker.status()[0]!.establishedCount, established);
  t.deepEqual(await birdTable(b), [`10.244.1.0/24 via 127.0.0.21 from ${proto}`, `10.244.3.0/24 via 127.0.0.23 from ${proto}`]);
  await waitUntil(() => peerStatus(s, 'peer')?.speakers?.['node-1']?.advertisedPrefixes === 2, 'status counts two advertised prefixes');
});
