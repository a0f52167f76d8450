// The Adj-RIB-Out against a model of the peer (RFC 4271 §9.2): after any
// sequence of table changes (patched or walked, by the window), partial takes,
// ROUTE-REFRESH and reconnects, what the peer holds (the announcements and
// withdrawals applied in order) equals the desired table once everything
// is taken; a batch never names a key twice; a withdrawal only names a
// route the peer has; and advertisedCount is the size of the peer's table.

import test from 'ava';
import fc from 'fast-check';
import { AdjRibOut } from '../../src/bgp/adj-rib-out.js';
import { RouteTable } from '../../src/bgp/routes.js';
import type { RouteSpec } from '../../src/bgp/types.js';

const prefixOf = (i: number): string => (i % 2 === 0 ? `10.${i >> 8}.${i & 255}.0/24` : `fd00:${i}::/64`);
/** Next hop h of route i; `alt` spells the same address another way. */
const hopOf = (i: number, h: number, alt: boolean): string =>
  i % 2 === 0 ? `172.16.0.${h + 1}` : alt ? `FD00:0:0::${h + 1}` : `fd00::${h + 1}`;
const canonicalHop = (text: string): string => text.replace('FD00:0:0::', 'fd00::');

/**
 * A route list: routes with one of three next hops (IPv6 ones in either
 * spelling). A prefix may be listed more than once; the last listing wins.
 */
const routeList = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 }), fc.boolean()), { maxLength: 30 })
  .map((xs) => xs.map(([i, h, alt]): RouteSpec => ({ prefix: prefixOf(i), nextHop: hopOf(i, h, alt) })));

type Op = { op: 'set'; routes: RouteSpec[] } | { op: 'take'; limit: number } | { op: 'refresh'; family: 'ipv4' | 'ipv6' } | { op: 'reconnect' };

const op: fc.Arbitrary<Op> = fc.oneof(
  routeList.map((routes): Op => ({ op: 'set', routes })),
  fc.integer({ min: 1, max: 12 }).map((limit): Op => ({ op: 'take', limit })),
  fc.constantFrom<'ipv4' | 'ipv6'>('ipv4', 'ipv6').map((family): Op => ({ op: 'refresh', family })),
  fc.constant<Op>({ op: 'reconnect' }),
);

test('whatever happens, the peer ends up holding exactly the desired routes of the negotiated families', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        routeList,
        fc.array(op, { maxLength: 25 }),
        fc.subarray(['ipv4', 'ipv6'] as const, { minLength: 1 }),
        // 0: every change walks the whole list; 6: small ones are patched; 1000: all are.
        fc.constantFrom(0, 6, 1000),
        (initial, ops, families, window) => {
          const table = new RouteTable(window);
          const rib = new AdjRibOut(table);
          let list = initial;
          table.set(list);
          let peer = new Map<string, string>();
          rib.start([...families]);
          const take = (limit: number): void => {
            const b = rib.take(limit);
            const keys = [...b.withdraw, ...b.announce].map((p) => p.key);
            if (new Set(keys).size !== keys.length) throw new Error(`a key twice in one batch: ${keys.join(' ')}`);
            if (b.announce.length + b.withdraw.length > limit) throw new Error(`more than ${limit} in a batch`);
            for (const p of b.withdraw) {
              if (!peer.has(p.key)) throw new Error(`withdrawal of ${p.key} the peer does not have`);
              peer.delete(p.key);
            }
            b.announce.forEach((p, i) => {
              if (!families.includes(p.afi === 1 ? 'ipv4' : 'ipv6')) throw new Error(`${p.key}: family not negotiated`);
              peer.set(p.key, b.hops[i]!.text);
            });
            if (rib.advertisedCount !== peer.size) throw new Error(`advertisedCount ${rib.advertisedCount}, peer holds ${peer.size}`);
          };
          for (const o of ops) {
            if (o.op === 'set') {
              list = o.routes;
              table.set(list);
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
          for (let rounds = 0; rib.pendingCount > 0; rounds++) {
            if (rounds > 1000) throw new Error(`still ${rib.pendingCount} pending`);
            take(7);
          }
          const desired = new Map(list.map((r) => [r.prefix, canonicalHop(r.nextHop)]));
          const want = [...desired].filter(([prefix]) => families.includes(prefix.includes(':') ? 'ipv6' : 'ipv4'));
          return JSON.stringify([...peer].sort()) === JSON.stringify(want.sort()) && table.size === desired.size;
        },
      ),
      { numRuns: 500 },
    ),
  );
});
