// Adj-RIB-Out diff semantics (RFC 4271 §3.2, §9.2): only changes become
// pending; a next-hop change is a new announcement (implicit withdraw);
// ROUTE-REFRESH (RFC 2918 §4) re-sends a family; leaving Established forgets
// what the peer had; families not negotiated are never sent.

import test from 'ava';
import { AdjRibOut, type RibBatch } from '../../src/bgp/adj-rib-out.js';
import { RouteTable } from '../../src/bgp/routes.js';
import type { RouteSpec } from '../../src/bgp/types.js';

/** An Adj-RIB-Out and a way to set its table's route list. */
const setup = (): { rib: AdjRibOut; set: (routes: RouteSpec[]) => void } => {
  const table = new RouteTable();
  return { rib: new AdjRibOut(table), set: (routes) => table.set(routes) };
};
const drain = (rib: AdjRibOut): { announce: string[]; withdraw: string[] } => {
  const b: RibBatch = rib.take(Number.MAX_SAFE_INTEGER);
  return { announce: b.announce.map((p, i) => `${p.key}>${b.hops[i]!.text}`).sort(), withdraw: b.withdraw.map((p) => p.key).sort() };
};

const A = { prefix: '10.244.1.0/24', nextHop: '172.16.0.11' };
const B = { prefix: '10.244.2.0/24', nextHop: '172.16.0.12' };
const C6 = { prefix: 'fd00:10:244:1::/64', nextHop: 'fd00::11' };

test('starting sends the whole desired table of the negotiated families', (t) => {
  const { rib, set } = setup();
  set([A, B, C6]);
  t.is(rib.pendingCount, 0, 'nothing is pending before Established');
  rib.start(['ipv4', 'ipv6']);
  t.is(rib.pendingCount, 3);
  t.deepEqual(drain(rib), {
    announce: ['10.244.1.0/24>172.16.0.11', '10.244.2.0/24>172.16.0.12', 'fd00:10:244:1::/64>fd00::11'],
    withdraw: [],
  });
  t.is(rib.advertisedCount, 3);
  t.is(rib.pendingCount, 0);
});

test('an added route is announced and nothing else is pending', (t) => {
  const { rib, set } = setup();
  set([A]);
  rib.start(['ipv4']);
  drain(rib);
  set([A, B]);
  t.is(rib.pendingCount, 1);
  t.deepEqual(drain(rib), { announce: ['10.244.2.0/24>172.16.0.12'], withdraw: [] });
});

test('a removed route is withdrawn', (t) => {
  const { rib, set } = setup();
  set([A, B]);
  rib.start(['ipv4']);
  drain(rib);
  set([B]);
  t.deepEqual(drain(rib), { announce: [], withdraw: ['10.244.1.0/24'] });
  t.is(rib.advertisedCount, 1);
});

test('a next-hop change is announced again without a withdrawal (implicit withdraw)', (t) => {
  const { rib, set } = setup();
  set([A]);
  rib.start(['ipv4']);
  drain(rib);
  set([{ ...A, nextHop: '172.16.0.99' }]);
  t.deepEqual(drain(rib), { announce: ['10.244.1.0/24>172.16.0.99'], withdraw: [] });
});

test('an unchanged table leaves nothing pending, even from a new list with equal routes', (t) => {
  const { rib, set } = setup();
  set([A, B, C6]);
  rib.start(['ipv4', 'ipv6']);
  drain(rib);
  set([B, C6, A]);
  t.is(rib.pendingCount, 0);
  // The same next hop written differently is the same route.
  set([B, A, { ...C6, nextHop: 'FD00:0:0::11' }]);
  t.is(rib.pendingCount, 0);
});

test('a route added and removed before it was sent produces nothing', (t) => {
  const { rib, set } = setup();
  set([A]);
  rib.start(['ipv4']);
  drain(rib);
  set([A, B]);
  set([A]);
  t.deepEqual(drain(rib), { announce: [], withdraw: [] });
  t.is(rib.advertisedCount, 1);
});

test('refresh re-sends every desired route of that family only', (t) => {
  const { rib, set } = setup();
  set([A, B, C6]);
  rib.start(['ipv4', 'ipv6']);
  drain(rib);
  rib.refresh('ipv4');
  t.deepEqual(drain(rib), { announce: ['10.244.1.0/24>172.16.0.11', '10.244.2.0/24>172.16.0.12'], withdraw: [] });
  rib.refresh('ipv6');
  t.deepEqual(drain(rib).announce, ['fd00:10:244:1::/64>fd00::11']);
});

test('refresh of a family that was not negotiated does nothing', (t) => {
  const { rib, set } = setup();
  set([A, C6]);
  rib.start(['ipv4']);
  drain(rib);
  rib.refresh('ipv6');
  t.is(rib.pendingCount, 0);
});

test('routes of a family not negotiated are never announced or withdrawn', (t) => {
  const { rib, set } = setup();
  set([A, C6]);
  rib.start(['ipv4']);
  t.deepEqual(drain(rib), { announce: ['10.244.1.0/24>172.16.0.11'], withdraw: [] });
  set([A, { prefix: 'fd00:10:244:2::/64', nextHop: 'fd00::12' }]);
  t.is(rib.pendingCount, 0);
  set([]);
  t.deepEqual(drain(rib), { announce: [], withdraw: ['10.244.1.0/24'] });
});

test('stop forgets what was advertised; the next start sends the whole table again', (t) => {
  const { rib, set } = setup();
  set([A, B]);
  rib.start(['ipv4']);
  drain(rib);
  rib.stop();
  t.is(rib.advertisedCount, 0);
  t.is(rib.pendingCount, 0);
  set([A]);
  t.is(rib.pendingCount, 0, 'changes while down are not pending');
  rib.start(['ipv4']);
  t.deepEqual(drain(rib), { announce: ['10.244.1.0/24>172.16.0.11'], withdraw: [] }, 'B is not withdrawn: the new connection never had it');
});

test('take honours its limit and keeps the rest pending', (t) => {
  const routes: RouteSpec[] = [];
  for (let i = 0; i < 100; i++) routes.push({ prefix: `10.1.${i}.0/24`, nextHop: '172.16.0.1' });
  const { rib, set } = setup();
  set(routes);
  rib.start(['ipv4']);
  const seen = new Set<string>();
  for (let round = 0; round < 4; round++) {
    const b = rib.take(30);
    t.true(b.announce.length <= 30);
    for (const p of b.announce) seen.add(p.key);
  }
  t.is(seen.size, 100);
  t.is(rib.pendingCount, 0);
  t.is(rib.advertisedCount, 100);
});
