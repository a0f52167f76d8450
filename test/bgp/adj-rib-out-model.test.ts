// The Adj-RIB-Out against a model of the peer (RFC 4271 §9.2): after any
// sequence of table replacements, in-place patches, partial takes,
// ROUTE-REFRESH and reconnects, what the peer holds (the announcements and
// withdrawals applied in order) equals the desired table once everything
// is taken; a batch never names a key twice; a withdrawal only names a
// route the peer has; and advertisedCount is the size of the peer's table.

import test from 'ava';
import fc from 'fast-check';
import { AdjRibOut } from '../../src/bgp/adj-rib-out.js';
import { diffRouteLists, patchRouteTable, routeTable, type RouteTable } from '../../src/bgp/routes.js';
import type { RouteSpec } from '../../src/bgp/types.js';

const prefixOf = (i: number): string => (i % 2 === 0 ? `10.${i >> 8}.${i & 255}.0/24` : `fd00:${i}::/64`);
const hopOf = (i: number, h: number): string => (i % 2 === 0 ? `172.16.0.${h + 1}` : `fd00::${h + 1}`);

/** A route list: for each id present, one of three next hops. */
const routeList = fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 })), { maxLength: 30 }).map((xs) => {
  const seen = new Map<number, number>();
  for (const [i, h] of xs) seen.set(i, h);
  return [...seen].map(([i, h]): RouteSpec => ({ prefix: prefixOf(i), nextHop: hopOf(i, h) }));
});

type Op =
  | { op: 'replace'; routes: RouteSpec[] }
  | { op: 'patch'; routes: RouteSpec[] }
  | { op: 'take'; limit: number }
  | { op: 'refresh'; family: 'ipv4' | 'ipv6' }
  | { op: 'reconnect' };

const op: fc.Arbitrary<Op> = fc.oneof(
  routeList.map((routes): Op => ({ op: 'replace', routes })),
  routeList.map((routes): Op => ({ op: 'patch', routes })),
  fc.integer({ min: 1, max: 12 }).map((limit): Op => ({ op: 'take', limit })),
  fc.constantFrom<'ipv4' | 'ipv6'>('ipv4', 'ipv6').map((family): Op => ({ op: 'refresh', family })),
  fc.constant<Op>({ op: 'reconnect' }),
);

test('whatever happens, the peer ends up holding exactly the desired routes of the negotiated families', (t) => {
  t.notThrows(() =>
    fc.assert(
    fc.property(routeList, fc.array(op, { maxLength: 25 }), fc.subarray(['ipv4', 'ipv6'] as const, { minLength: 1 }), (initial, ops, families) => {
      const rib = new AdjRibOut();
      let list = initial;
      let table: RouteTable = routeTable(list);
      rib.setDesired(table.routes);
      let peer = new Map<string, string>();
      rib.start([...families]);
      const take = (limit: number): void => {
        const b = rib.take(limit);
        const keys = [...b.withdraw, ...b.announce].map((r) => r.prefix.key);
        if (new Set(keys).size !== keys.length) throw new Error(`a key twice in one batch: ${keys.join(' ')}`);
        for (const r of b.withdraw) {
          if (peer.get(r.prefix.key) !== r.nextHop) throw new Error(`withdrawal of ${r.prefix.key} the peer does not have`);
          peer.delete(r.prefix.key);
        }
        for (const r of b.announce) {
          if (!families.includes(r.family)) throw new Error(`${r.prefix.key}: family not negotiated`);
          peer.set(r.prefix.key, r.nextHop);
        }
        if (rib.advertisedCount !== peer.size) throw new Error(`advertisedCount ${rib.advertisedCount}, peer holds ${peer.size}`);
      };
      for (const o of ops) {
        if (o.op === 'replace') {
          list = o.routes;
          table = routeTable(list, undefined, table);
          rib.setDesired(table.routes);
        } else if (o.op === 'patch') {
          const diff = diffRouteLists(list, o.routes, 1000)!;
          const before = patchRouteTable(table, diff);
          if (before) rib.changed(before);
          else {
            table = routeTable(o.routes, undefined, table);
            rib.setDesired(table.routes);
          }
          list = o.routes;
        } else if (o.op === 'take') {
          take(o.limit);
        } else if (o.op === 'refresh') {
          rib.refresh(o.family);
        } else {
          rib.stop();
          peer = new Map();
          rib.start([...families]);
        }
      }
      while (rib.pendingCount > 0) take(7);
      const want = [...routeTable(list).routes.values()].filter((r) => families.includes(r.family)).map((r) => [r.prefix.key, r.nextHop]);
      return JSON.stringify([...peer].sort()) === JSON.stringify([...want].sort());
    }),
      { numRuns: 400 },
    ),
  );
});
