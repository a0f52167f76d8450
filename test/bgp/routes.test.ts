// The desired route table is patched, not rebuilt, when only a few routes
// change (routes.ts): the patched table and the Adj-RIB-Out's pending work
// must equal what a full rebuild gives, for any list and any change.

import test from 'ava';
import fc from 'fast-check';
import { AdjRibOut } from '../../src/bgp/adj-rib-out.js';
import { parsePrefix } from '../../src/bgp/prefix.js';
import { diffRouteLists, patchRouteTable, routeTable } from '../../src/bgp/routes.js';
import type { RouteSpec } from '../../src/bgp/types.js';

const route = (i: number, hop: number): RouteSpec => ({ prefix: `10.${i >> 8}.${i & 255}.0/24`, nextHop: `172.16.${hop >> 8}.${hop & 255}` });
const asObject = (t: Map<string, { nextHop: string }>): Record<string, string> =>
  Object.fromEntries([...t].map(([k, v]) => [k, v.nextHop]).sort(([a], [b]) => (a! < b! ? -1 : 1)));

/** A list of distinct prefixes, and an edited copy (removals, insertions, next-hop changes, moves). */
const scenario = fc
  .record({
    ids: fc.uniqueArray(fc.integer({ min: 0, max: 60000 }), { minLength: 0, maxLength: 300 }),
    edits: fc.array(fc.tuple(fc.constantFrom('remove', 'insert', 'nexthop', 'move'), fc.nat(), fc.integer({ min: 60001, max: 65535 })), { maxLength: 6 }),
  })
  .map(({ ids, edits }) => {
    const prev = ids.map((i) => route(i, i % 700));
    const next = [...prev];
    for (const [kind, at, fresh] of edits) {
      const i = next.length ? at % next.length : 0;
      if (kind === 'remove' && next.length) next.splice(i, 1);
      else if (kind === 'insert' && !next.some((r) => r.prefix === route(fresh, 0).prefix)) next.splice(i, 0, route(fresh, fresh % 50));
      else if (kind === 'nexthop' && next.length) next[i] = { ...next[i]!, nextHop: '192.0.2.77' };
      else if (kind === 'move' && next.length) next.push(...next.splice(i, 1));
    }
    return { prev, next };
  });

test('a patched table equals a rebuilt one for any list and any edit', (t) => {
  fc.assert(
    fc.property(scenario, ({ prev, next }) => {
      const table = routeTable(prev);
      const diff = diffRouteLists(prev, next, 100_000);
      if (!diff) return false;
      const touched = patchRouteTable(table, diff);
      if (!touched) return false;
      const want = routeTable(next);
      return JSON.stringify(asObject(table.routes)) === JSON.stringify(asObject(want.routes)) && table.byText.size === want.byText.size;
    }),
  );
  t.pass();
});

test('after a patch the Adj-RIB-Out sends exactly the difference', (t) => {
  fc.assert(
    fc.property(scenario, ({ prev, next }) => {
      const table = routeTable(prev);
      const rib = new AdjRibOut();
      rib.setDesired(table.routes);
      rib.start(['ipv4']);
      rib.take(1_000_000); // the initial table is out
      rib.changed(patchRouteTable(table, diffRouteLists(prev, next, 100_000)!)!);
      const batch = rib.take(1_000_000);
      const before = new Map(prev.map((r) => [r.prefix, r.nextHop]));
      const after = new Map(next.map((r) => [r.prefix, r.nextHop]));
      const announce = [...after].filter(([p, h]) => before.get(p) !== h).map(([p]) => p).sort();
      const withdraw = [...before.keys()].filter((p) => !after.has(p)).sort();
      return (
        JSON.stringify(batch.announce.map((r) => r.prefix.key).sort()) === JSON.stringify(announce) &&
        JSON.stringify(batch.withdraw.map((r) => r.prefix.key).sort()) === JSON.stringify(withdraw) &&
        rib.advertisedCount === next.length
      );
    }),
  );
  t.pass();
});

test('a change that spans more than the window asks for a rebuild', (t) => {
  const prev = Array.from({ length: 50 }, (_, i) => route(i, 1));
  const next = prev.map((r) => ({ ...r, nextHop: '192.0.2.9' }));
  t.is(diffRouteLists(prev, next, 10), null);
  t.truthy(diffRouteLists(prev, next, 100));
});

test('an added route that cannot be advertised makes the patch give up, so the rebuild reports it', (t) => {
  const prev = [route(1, 1)];
  const next = [route(1, 1), { prefix: '10.9.9.0/24', nextHop: 'fd00::1' }];
  t.is(patchRouteTable(routeTable(prev), diffRouteLists(prev, next, 10)!), null);
});

test('a patch that gives up leaves the table exactly as it was', (t) => {
  const prev = [route(1, 1), route(2, 2)];
  // Removes route 2 and adds a prefix twice: not a patch.
  const next = [route(1, 1), { prefix: route(3, 0).prefix, nextHop: '172.16.0.3' }, { prefix: route(3, 0).prefix, nextHop: '172.16.0.4' }];
  const table = routeTable(prev);
  const before = asObject(table.routes);
  t.is(patchRouteTable(table, diffRouteLists(prev, next, 10)!), null);
  t.deepEqual(asObject(table.routes), before);
  t.is(table.routes.size, 2);
});

test('a key changed while the table drains is sent with its latest state and never twice in one batch', (t) => {
  const rib = new AdjRibOut();
  const table = routeTable(Array.from({ length: 10 }, (_, i) => route(i, 1)));
  const desired = table.routes;
  rib.setDesired(desired);
  rib.start(['ipv4']);
  const first = rib.take(4);
  t.is(first.announce.length, 4);
  // The first route changes its next hop and the last one goes away, mid-drain.
  const k0 = first.announce[0]!.prefix.key;
  const k9 = [...desired.keys()][9]!;
  const before = new Map([
    [k0, desired.get(k0)],
    [k9, desired.get(k9)],
  ]);
  desired.set(k0, routeTable([{ prefix: k0, nextHop: '192.0.2.1' }]).routes.get(k0)!);
  desired.delete(k9);
  rib.changed(before);
  const sent = new Map<string, string>();
  for (const r of first.announce) sent.set(r.prefix.key, r.nextHop);
  for (let batch = rib.take(3); batch.announce.length + batch.withdraw.length > 0; batch = rib.take(3)) {
    const keys = [...batch.announce, ...batch.withdraw].map((r) => r.prefix.key);
    t.is(new Set(keys).size, keys.length, 'a key appears once per batch');
    for (const r of batch.announce) sent.set(r.prefix.key, r.nextHop);
    t.deepEqual(batch.withdraw, [], 'k9 was never sent, so nothing to withdraw');
  }
  t.is(sent.get(k0), '192.0.2.1', 'the peer ends with the latest next hop');
  t.false(sent.has(k9));
  t.is(sent.size, 9);
  t.is(rib.advertisedCount, 9);
  t.is(rib.pendingCount, 0);
});

test('routeTable keeps the caller\'s parsed prefix when its key is the prefix text, and parses otherwise', (t) => {
  const own = parsePrefix('10.1.0.0/16');
  const other = parsePrefix('10.2.0.0/16');
  const table = routeTable([
    { prefix: '10.1.0.0/16', nextHop: '192.0.2.1', parsed: own },
    { prefix: '10.3.0.0/16', nextHop: '192.0.2.1', parsed: other },
  ]);
  t.is(table.routes.get('10.1.0.0/16')!.prefix, own);
  const parsed = table.routes.get('10.3.0.0/16')!.prefix;
  t.not(parsed, other);
  t.is(parsed.key, '10.3.0.0/16');
  t.false(table.routes.has('10.2.0.0/16'));
});
