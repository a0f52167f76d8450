// The pure parts of the agent: session status -> speaker entry -> the
// Established condition, event names and messages, the per-key rate
// limiter on a fake clock, and event aggregation against a fake API that
// answers 404 and 409 like the API server.

import test from 'ava';
import { FakeClock, type SessionEvent, type SessionStatus } from '../../src/bgp/index.js';
import { EventRecorder, eventName, sessionEventRecord } from '../../src/controller/events.js';
import type { BGPPeer } from '../../src/controller/resources.js';
import { problem } from '../../src/controller/resources.js';
import { KeyedRateLimiter, entryPatch, establishedCondition, problemEntry, speakerEntry } from '../../src/controller/status.js';
import { silentLogger } from '../../src/log.js';

const t0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

function session(over: Partial<SessionStatus> = {}): SessionStatus {
  return {
    name: 'peer',
    peerAddress: '172.16.0.1',
    peerPort: 179,
    peerAs: 65001,
    localAs: 65010,
    localAddress: '172.16.0.11',
    state: 'Active',
    since: t0,
    advertisedPrefixes: 0,
    receivedPrefixes: 0,
    establishedCount: 0,
    ...over,
  };
}

const negotiated = {
  holdTime: 90,
  keepaliveTime: 30,
  as4: true,
  families: ['ipv4'] as const,
  routeRefresh: true,
  extendedMessage: false,
  gracefulRestart: { local: true, peer: true, peerRestartTime: 120, notification: false },
  peerCapabilities: [],
};

function peer(generation = 3): BGPPeer {
  return {
    apiVersion: 'network.openyurt.io/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name: 'peer', generation, uid: 'u1' },
    spec: { localAsNumber: 65010, peerIP: '172.16.0.1', peerAsNumber: 65001, localSpeakers: ['node-1', 'node-2'] },
  };
}

test('an Established session maps to an entry with hold time and graceful restart and no lastError', (t) => {
  const e = speakerEntry(
    session({ state: 'Established', negotiated, peerRouterId: '172.16.0.1', advertisedPrefixes: 5, lastError: { reason: 'ConnectRefused', message: 'old', at: t0 } }),
  );
  t.deepEqual(e, {
    state: 'Established',
    lastTransitionTime: '2025-01-02T03:04:05Z',
    localAddress: '172.16.0.11',
    peerRouterID: '172.16.0.1',
    holdTime: 90,
    gracefulRestart: { enabled: true, local: true, peer: true, peerRestartTime: 120, notification: false },
    advertisedPrefixes: 5,
    receivedPrefixes: 0,
  });
  const patch = entryPatch(e);
  t.is(patch.lastError, null, 'the merge patch deletes a stale lastError');
});

test('a failing session keeps its last error in words, and a blocked one shows Idle with the problem line', (t) => {
  const e = speakerEntry(session({ lastError: { reason: 'ConnectTimeout', message: 'no answer from 172.16.0.1:179 within 30 s', at: t0 } }));
  t.is(e.state, 'Active');
  t.is(e.lastError, 'no answer from 172.16.0.1:179 within 30 s');
  t.is(e.holdTime, undefined);
  const p = problem('BGPPeer', 'peer', 'spec.authPassword.secretKeyRef', 'Secret kube-system/x not found', 'SecretNotFound');
  t.like(problemEntry(p, t0), { state: 'Idle', lastError: p.line, lastTransitionTime: '2025-01-02T03:04:05Z' });
});

test('the condition is True only when every elected speaker is Established, and names the others', (t) => {
  const base = { peer: peer(), elected: ['node-1', 'node-2'], problems: [], nowMs: t0 };
  const all = establishedCondition({ ...base, speakers: { 'node-1': { state: 'Established' }, 'node-2': { state: 'Established' } } });
  t.like(all, { type: 'Established', status: 'True', reason: 'AllEstablished', observedGeneration: 3 });
  const part = establishedCondition({ ...base, speakers: { 'node-1': { state: 'Established' }, 'node-2': { state: 'Connect' } } });
  t.like(part, { status: 'False', reason: 'PartiallyEstablished' });
  t.is(part.message, '1 of 2 speakers Established (node-1); not Established: node-2');
  const none = establishedCondition({ ...base, speakers: { 'node-1': { state: 'Active' } } });
  t.like(none, { status: 'False', reason: 'NoneEstablished' });
  t.regex(none.message ?? '', /node-2 \(no status reported/);
  const stale = establishedCondition({ ...base, speakers: { 'node-1': { state: 'Established' }, 'node-2': { state: 'Established' }, 'node-9': { state: 'Idle' } } });
  t.is(stale.status, 'True', 'entries of nodes that are not elected do not count');
});

test('spec and Secret problems decide the condition, and lastTransitionTime moves only with the status', (t) => {
  const speakers = { 'node-1': { state: 'Idle' } };
  const secret = problem('BGPPeer', 'peer', 'spec.authPassword.secretKeyRef', 'Secret kube-system/x not found', 'SecretNotFound');
  const c1 = establishedCondition({ peer: peer(), elected: ['node-1'], speakers, problems: [secret], nowMs: t0 });
  t.like(c1, { status: 'False', reason: 'SecretNotFound', lastTransitionTime: '2025-01-02T03:04:05Z' });
  const invalid = problem('BGPPeer', 'peer', 'spec.peerIP', 'is not an IP address');
  const c2 = establishedCondition({ peer: peer(), elected: ['node-1'], speakers, problems: [invalid], previous: c1, nowMs: t0 + 60_000 });
  t.like(c2, { reason: 'InvalidSpec', lastTransitionTime: c1.lastTransitionTime });
  const c3 = establishedCondition({ peer: peer(), elected: ['node-1'], speakers: { 'node-1': { state: 'Established' } }, problems: [], previous: c2, nowMs: t0 + 60_000 });
  t.like(c3, { status: 'True', lastTransitionTime: '2025-01-02T03:05:05Z' });
});

test('event names depend on object, node, reason and message only', (t) => {
  const a = eventName({ name: 'peer', uid: 'u1' }, 'node-1', 'FailedEstablish', 'm');
  t.regex(a, /^peer\.[0-9a-f]{16}$/);
  t.is(eventName({ name: 'peer', uid: 'u1' }, 'node-1', 'FailedEstablish', 'm'), a);
  const others = [
    eventName({ name: 'peer', uid: 'u2' }, 'node-1', 'FailedEstablish', 'm'),
    eventName({ name: 'peer', uid: 'u1' }, 'node-2', 'FailedEstablish', 'm'),
    eventName({ name: 'peer', uid: 'u1' }, 'node-1', 'SessionDown', 'm'),
    eventName({ name: 'peer', uid: 'u1' }, 'node-1', 'FailedEstablish', 'n'),
  ];
  t.is(new Set([a, ...others]).size, 5);
});

test('session transitions map to FailedEstablish, Established and SessionDown, and decisions map to nothing', (t) => {
  const ev = (from: SessionEvent['from'], to: SessionEvent['to'], reason?: string, message = 'connection refused by 172.16.0.1:179'): SessionEvent => ({
    name: 'peer',
    from,
    to,
    ...(reason ? { error: { reason: reason as never, message, at: t0 } } : {}),
    status: session({ state: to, ...(to === 'Established' ? { negotiated } : {}) }),
  });
  t.deepEqual(sessionEventRecord('node-1', ev('Connect', 'Active', 'ConnectRefused')), {
    type: 'Warning',
    reason: 'FailedEstablish',
    message: 'node-1: connection refused by 172.16.0.1:179',
  });
  t.is(sessionEventRecord('node-1', ev('OpenSent', 'Idle', 'NotificationReceived', 'received NOTIFICATION x'))?.reason, 'FailedEstablish');
  t.like(sessionEventRecord('node-1', ev('OpenConfirm', 'Established')), { type: 'Normal', reason: 'Established' });
  t.like(sessionEventRecord('node-1', ev('Established', 'Idle', 'HoldTimerExpired', 'hold timer expired')), {
    type: 'Warning',
    reason: 'SessionDown',
    message: 'node-1: session with 172.16.0.1 went down: hold timer expired',
  });
  t.is(sessionEventRecord('node-1', ev('Established', 'Idle', 'AdminStop')), undefined);
  t.is(sessionEventRecord('node-1', ev('Connect', 'Idle', 'ConfigChanged')), undefined);
  t.is(sessionEventRecord('node-1', ev('Idle', 'Connect')), undefined);
});

test('the rate limiter sends at most once per interval per key and the latest state wins', async (t) => {
  const clock = new FakeClock();
  const sent: string[] = [];
  const state = new Map<string, number>();
  const limiter = new KeyedRateLimiter<string>({ clock, intervalMs: 1000, send: async (k) => void sent.push(`${k}=${state.get(k)}@${clock.now()}`) });
  const settle = () => new Promise((r) => setImmediate(r));
  state.set('a', 1);
  limiter.mark('a');
  await settle();
  state.set('a', 2);
  limiter.mark('a');
  state.set('a', 3);
  limiter.mark('a');
  state.set('b', 1);
  limiter.mark('b');
  await settle();
  t.deepEqual(sent, ['a=1@0', 'b=1@0']);
  clock.advance(999);
  await settle();
  t.is(sent.length, 2);
  clock.advance(1);
  await settle();
  t.deepEqual(sent, ['a=1@0', 'b=1@0', 'a=3@1000'], 'intermediate state 2 is never sent');
  clock.advance(5000);
  await settle();
  t.is(sent.length, 3, 'nothing more without a mark');
  limiter.mark('a');
  await settle();
  t.is(sent.at(-1), 'a=3@6000', 'a mark after a quiet interval goes out at once');
  await limiter.close();
});

test('a failed send is retried later with the latest state', async (t) => {
  const clock = new FakeClock();
  let fail = true;
  const sent: number[] = [];
  const limiter = new KeyedRateLimiter<string>({
    clock,
    intervalMs: 1000,
    retryMs: 3000,
    send: async () => {
      if (fail) throw new Error('API down');
      sent.push(clock.now());
    },
  });
  const settle = () => new Promise((r) => setImmediate(r));
  limiter.mark('a');
  await settle();
  fail = false;
  clock.advance(2999);
  await settle();
  t.deepEqual(sent, []);
  clock.advance(1);
  await settle();
  t.deepEqual(sent, [3000]);
  await limiter.close();
});

test('events aggregate into one with a growing count, found again after a restart and after 409 AlreadyExists', async (t) => {
  const store = new Map<string, any>();
  const calls: string[] = [];
  let hideFromGet = false;
  const api = {
    getEvent: async (_ns: string, name: string) => {
      calls.push('get');
      const e = store.get(name);
      if (!e || hideFromGet) {
        hideFromGet = false;
        throw Object.assign(new Error('not found'), { code: 404 });
      }
      return structuredClone(e);
    },
    createEvent: async (_ns: string, body: any) => {
      calls.push('create');
      if (store.has(body.metadata.name)) throw Object.assign(new Error('exists'), { code: 409 });
      store.set(body.metadata.name, structuredClone(body));
      return body;
    },
    patchEvent: async (_ns: string, name: string, body: any) => {
      calls.push('patch');
      const e = store.get(name);
      if (!e) throw Object.assign(new Error('not found'), { code: 404 });
      Object.assign(e, body);
      return e;
    },
  };
  const clock = new FakeClock();
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const rec = { type: 'Warning' as const, reason: 'FailedEstablish', message: 'node-1: refused' };
  const r1 = new EventRecorder({ api, node: 'node-1', log: silentLogger(), clock });
  r1.record({ name: 'peer', uid: 'u1' }, rec);
  await settle();
  for (let i = 0; i < 4; i++) r1.record({ name: 'peer', uid: 'u1' }, rec);
  await settle();
  t.deepEqual(calls, ['get', 'create'], 'the repeats wait for the rate limit');
  clock.advance(1000);
  await settle();
  t.is(store.size, 1);
  t.is([...store.values()][0].count, 5);
  t.deepEqual(calls, ['get', 'create', 'patch'], 'four repeats, one patch');
  await r1.close();

  // A restarted agent finds the Event by its name.
  const r2 = new EventRecorder({ api, node: 'node-1', log: silentLogger(), clock });
  r2.record({ name: 'peer', uid: 'u1' }, rec);
  await settle();
  t.is([...store.values()][0].count, 6);
  await r2.close();

  // A create that races another writer turns into a patch.
  hideFromGet = true;
  const r3 = new EventRecorder({ api, node: 'node-1', log: silentLogger(), clock });
  r3.record({ name: 'peer', uid: 'u1' }, rec);
  await settle();
  await settle();
  t.is(store.size, 1);
  t.is([...store.values()][0].count, 7);
  const ev = [...store.values()][0];
  t.like(ev, { involvedObject: { kind: 'BGPPeer', name: 'peer', uid: 'u1' }, source: { component: 'bgp-speaker', host: 'node-1' }, reportingInstance: 'bgp-speaker-node-1' });
  await r3.close();
});
