// Sessions that cannot be established, as an operator sees them: a wrong
// TCP MD5 password (RFC 2385: the peer's kernel drops our SYNs, so the
// connect times out), a Secret that does not exist (no session at all), and
// a peer that refuses connections (one aggregated FailedEstablish Event
// whose count grows, also across a restart of the agent).

import test from 'ava';
import { Writable } from 'node:stream';
import bunyan from 'bunyan';
import { freePort, requirePeer, testWithPeer } from '../peers/index.js';
import { agent, apiServer, bird, eventsOf, nodeObject, peerObject, peerStatus, secretObject, waitUntil } from './helpers.js';

const withBird = testWithPeer('bird');
const secretRef = { secretKeyRef: { name: 'bgp-secret', key: 'password' } };

withBird('a wrong password gives FailedEstablish events with the cause in words, and the right one then establishes', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const s = await apiServer(t);
  const { bird: b, port, protocolOf } = await bird(t, ['127.0.0.31'], 'right-password');
  s.store.put('Secret', 'kube-system', 'bgp-secret', secretObject('bgp-secret', 'wrong-password'));
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.31', podCIDR: '10.244.1.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port, connectRetryTime: 1, authPassword: secretRef }));
  // Everything the agent logs, at the most verbose level, to check no password leaks.
  const logged: string[] = [];
  const log = bunyan.createLogger({
    name: 'agent',
    level: 'trace',
    stream: new Writable({ write: (c: Buffer, _e, cb) => (logged.push(c.toString()), cb()) }),
  });
  await agent(t, s, 'node-1', { log });

  await waitUntil(() => eventsOf(s, 'peer', 'FailedEstablish').length > 0, 'a FailedEstablish event', 30000);
  const [failed] = eventsOf(s, 'peer', 'FailedEstablish');
  t.is(failed.message, `node-1: no answer from 127.0.0.1:${port} within 2 s (TCP MD5 key mismatch or peer unreachable?)`);
  t.like(failed, { type: 'Warning', involvedObject: { kind: 'BGPPeer', name: 'peer', apiVersion: 'network.openyurt.io/v1alpha1' }, source: { component: 'bgp-speaker', host: 'node-1' } });
  t.is(failed.involvedObject.uid, s.store.get('BGPPeer', '', 'peer')!.metadata.uid);
  await waitUntil(() => peerStatus(s, 'peer')?.speakers?.['node-1']?.lastError === failed.message.slice('node-1: '.length), 'status to carry the cause');
  t.like(peerStatus(s, 'peer').conditions[0], { status: 'False', reason: 'NoneEstablished' });

  s.store.put('Secret', 'kube-system', 'bgp-secret', secretObject('bgp-secret', 'right-password'));
  await b.waitEstablished(protocolOf('127.0.0.31'), 30000);
  await waitUntil(() => peerStatus(s, 'peer')?.speakers?.['node-1']?.state === 'Established', 'status Established');
  await waitUntil(() => eventsOf(s, 'peer', 'Established').length === 1, 'an Established event');
  const entry = peerStatus(s, 'peer').speakers['node-1'];
  t.is(entry.lastError, undefined, 'lastError is cleared once Established');
  t.like(peerStatus(s, 'peer').conditions[0], { status: 'True', reason: 'AllEstablished' });
  const all = JSON.stringify(s.store.list('Event', 'default')) + JSON.stringify(s.store.get('BGPPeer', '', 'peer'));
  t.false(all.includes('right-password') || all.includes('wrong-password'), 'no password in events or status');
  const logs = logged.join('');
  t.true(logs.length > 1000, 'the agent logged (trace level)');
  t.false(logs.includes('right-password') || logs.includes('wrong-password'), 'no password in the logs');
  t.false(logs.includes(Buffer.from('right-password').toString('base64')), 'nor its base64 form');
});

test('a Secret that does not exist gives SecretNotFound, an Idle status with the problem, and no session attempt', async (t) => {
  const s = await apiServer(t);
  const port = await freePort();
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.32', podCIDR: '10.244.1.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port, authPassword: secretRef }));
  const a = await agent(t, s, 'node-1');

  await waitUntil(() => eventsOf(s, 'peer', 'SecretNotFound').length === 1, 'a SecretNotFound event');
  const line = 'BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret not found';
  t.is(eventsOf(s, 'peer', 'SecretNotFound')[0].message, `node-1: ${line}`);
  await waitUntil(() => peerStatus(s, 'peer')?.conditions?.[0]?.reason === 'SecretNotFound', 'condition SecretNotFound');
  t.like(peerStatus(s, 'peer').speakers['node-1'], { state: 'Idle', lastError: line });
  t.deepEqual(a.speaker.status(), [], 'no session without the password');
  // Recomputations do not repeat the event.
  s.store.put('Node', '', 'node-2', nodeObject({ name: 'node-2', ip: '127.0.0.33' }));
  await new Promise((r) => setTimeout(r, 1500));
  t.is(eventsOf(s, 'peer', 'SecretNotFound')[0].count, 1);
  t.is(eventsOf(s, 'peer', 'FailedEstablish').length, 0);
});

test('a peer that is down gives one FailedEstablish event whose count grows, also across an agent restart', async (t) => {
  const s = await apiServer(t);
  const port = await freePort();
  s.store.put('Node', '', 'node-1', nodeObject({ name: 'node-1', ip: '127.0.0.34', podCIDR: '10.244.1.0/24' }));
  s.store.put('BGPPeer', '', 'peer', peerObject('peer', { localSpeakers: ['node-1'], peerPort: port, connectRetryTime: 1 }));
  const started = Date.now();
  const first = await agent(t, s, 'node-1');
  await waitUntil(() => eventsOf(s, 'peer', 'FailedEstablish')[0]?.count >= 2, 'a second failed attempt', 10000);
  t.true(Date.now() - started < 7000, 'the first retry comes within 5 s');
  await waitUntil(() => eventsOf(s, 'peer', 'FailedEstablish')[0]?.count >= 4, 'more failed attempts', 15000);
  const events = eventsOf(s, 'peer', 'FailedEstablish');
  t.is(events.length, 1, 'one Event, not one per attempt');
  t.is(events[0].message, `node-1: connection refused by 127.0.0.1:${port} (is BGP running on the peer?)`);
  t.true(Date.parse(events[0].lastTimestamp) > Date.parse(events[0].firstTimestamp));
  const writes = s.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/default/events') && r.method !== 'GET').length;
  t.true(writes <= events[0].count, `at most one write per occurrence (${writes} writes)`);

  await first.stop('deconfigure');
  const before = eventsOf(s, 'peer', 'FailedEstablish')[0].count;
  await agent(t, s, 'node-1');
  await waitUntil(() => eventsOf(s, 'peer', 'FailedEstablish')[0]?.count > before, 'the restarted agent to add to the same event', 10000);
  t.is(eventsOf(s, 'peer', 'FailedEstablish').length, 1);
});
