// The session's route table (routes.ts) follows the controller's route
// list: a small change is patched in the changed window of the list, a
// large one walks the whole list, and both must give the same table and
// tell the Adj-RIB-Out exactly the difference, for any list and any change.

import test from 'ava';
import bunyan from 'bunyan';
import fc from 'fast-check';
import { AdjRibOut } from '../../src/bgp/adj-rib-out.js';
import { parsePrefix } from '../../src/bgp/prefix.js';
import { diffRouteLists, RouteTable } from '../../src/bgp/routes.js';
import type { RouteSpec } from '../../src/bgp/types.js';

const route = (i: number, hop: number): RouteSpec => ({ prefix: `10.${i >> 8}.${i & 255}.0/24`, nextHop: `172.16.${hop >> 8}.${hop & 255}` });
const asObject = (t: RouteTable): Record<string, string> => Object.fromEntries([...t.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
const tableOf = (routes: readonly RouteSpec[], window?: number): RouteTable => {
  const t = new RouteTable(window);
  t.set(routes);
  return t;
};

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

test('a patched table equals one built from the new list, for any list and any edit', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(scenario, ({ prev, next }) => {
        const patched = tableOf(prev, 100_000);
        patched.set(next);
        const walked = tableOf(prev, 0);
        walked.set(next);
        const want = JSON.stringify(asObject(tableOf(next)));
        return JSON.stringify(asObject(patched)) === want && JSON.stringify(asObject(walked)) === want && patched.size === next.length;
      }),
    ),
  );
});

test('after a change, patched or walked, the Adj-RIB-Out sends exactly the difference', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(scenario, fc.constantFrom(0, 100_000), ({ prev, next }, window) => {
        const table = tableOf(prev, window);
        const rib = new AdjRibOut(table);
        rib.start(['ipv4']);
        rib.take(1_000_000); // the initial table is out
        table.set(next);
        const batch = rib.take(1_000_000);
        const before = new Map(prev.map((r) => [r.prefix, r.nextHop]));
        const after = new Map(next.map((r) => [r.prefix, r.nextHop]));
        const announce = [...after].filter(([p, h]) => before.get(p) !== h).map(([p]) => p).sort();
        const withdraw = [...before.keys()].filter((p) => !after.has(p)).sort();
        return (
          JSON.stringify(batch.announce.map((p) => p.key).sort()) === JSON.stringify(announce) &&
          JSON.stringify(batch.withdraw.map((p) => p.key).sort()) === JSON.stringify(withdraw) &&
          rib.advertisedCount === next.length &&
          rib.pendingCount === 0
        );
      }),
    ),
  );
});

test('a change that spans more than the window is not a patch', (t) => {
  const prev = Array.from({ length: 50 }, (_, i) => route(i, 1));
  const next = prev.map((r) => ({ ...r, nextHop: '192.0.2.9' }));
  t.is(diffRouteLists(prev, next, 10), null);
  t.truthy(diffRouteLists(prev, next, 100));
});

/** A logger whose warnings land in `lines`. */
function capture(): { log: bunyan; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = bunyan.createLogger({ name: 't', streams: [{ level: 'warn', type: 'raw', stream: { write: (r: object) => lines.push(r as Record<string, unknown>) } }] });
  return { log, lines };
}

test('a route that cannot be advertised is logged and left out; the others go in', (t) => {
  const { log, lines } = capture();
  const table = new RouteTable();
  const prev = [route(1, 1)];
  table.set(prev, log);
  // Added in a small change, so the patch meets it first and must give way to the walk that reports it.
  table.set([...prev, { prefix: '10.9.9.0/24', nextHop: 'fd00::1' }, route(2, 2), { prefix: '10.9.8.1/24', nextHop: '172.16.0.1' }], log);
  t.deepEqual(asObject(table), { '10.0.1.0/24': '172.16.0.1', '10.0.2.0/24': '172.16.0.2' });
  t.deepEqual(
    lines.map((l) => [l.msg, l.prefix]),
    [
      ['route left out', '10.9.9.0/24'],
      ['route left out', '10.9.8.1/24'],
    ],
  );
  t.regex(String(lines[0]!.problem), /not of the family/);
  t.regex(String(lines[1]!.problem), /host bits/);
});

test('a prefix listed twice: the later route wins, patched or walked', (t) => {
  const prev = [route(1, 1), route(2, 2)];
  const next = [route(1, 1), { prefix: route(3, 0).prefix, nextHop: '172.16.0.3' }, { prefix: route(3, 0).prefix, nextHop: '172.16.0.4' }];
  for (const window of [0, 10]) {
    const table = tableOf(prev, window);
    table.set(next);
    t.deepEqual(asObject(table), { '10.0.1.0/24': '172.16.0.1', '10.0.3.0/24': '172.16.0.4' });
  }
});

test('a prefix listed twice, one of its routes then dropped: the prefix stays, with the route still listed', (t) => {
  // Before the change the later route (via .2) wins; the peer hears of the prefix again only when its next hop changes.
  for (const window of [0, 10]) {
    for (const [prev, next, hop] of [
      [[route(1, 1), route(1, 2), route(2, 2)], [route(1, 1), route(2, 2)], '172.16.0.1'],
      [[route(1, 1), route(1, 2), route(2, 2)], [route(1, 2), route(2, 2)], '172.16.0.2'],
      [[route(1, 1), route(2, 2), route(1, 2)], [route(1, 1), route(2, 2)], '172.16.0.1'],
    ] as const) {
      const table = tableOf(prev, window);
      const rib = new AdjRibOut(table);
      rib.start(['ipv4']);
      rib.take(1_000_000);
      table.set(next);
      t.deepEqual(asObject(table), { '10.0.1.0/24': hop, '10.0.2.0/24': '172.16.0.2' }, `window ${window}`);
      const change = rib.take(1_000_000);
      t.deepEqual(change.withdraw, [], `window ${window}`);
      const announced = change.announce.map((p, i) => `${p.key}>${change.hops[i]!.text}`);
      t.deepEqual(announced, hop === '172.16.0.1' ? ['10.0.1.0/24>172.16.0.1'] : [], `window ${window}`);
    }
  }
});

test('a prefix listed twice in a walked list: the peer is sent the route that wins, and nothing is logged', (t) => {
  const { log, lines } = capture();
  // First table, then a change: each time the second route for 10.0.1.0/24 wins.
  const table = new RouteTable(0);
  const rib = new AdjRibOut(table);
  rib.start(['ipv4']);
  table.set([route(1, 1), route(1, 2)], log);
  const first = rib.take(1_000_000);
  t.deepEqual(first.announce.map((p, i) => [p.key, first.hops[i]!.text]), [['10.0.1.0/24', '172.16.0.2']]);
  table.set([route(2, 2), route(1, 2), route(1, 1)], log);
  const second = rib.take(1_000_000);
  t.deepEqual(
    second.announce.map((p, i) => [p.key, second.hops[i]!.text]).sort(),
    [['10.0.1.0/24', '172.16.0.1'], ['10.0.2.0/24', '172.16.0.2']],
  );
  t.deepEqual(asObject(table), { '10.0.1.0/24': '172.16.0.1', '10.0.2.0/24': '172.16.0.2' });
  t.deepEqual(lines, []);
});

test('slots of removed routes are reused', (t) => {
  const table = tableOf(Array.from({ length: 100 }, (_, i) => route(i, 1)));
  t.is(table.end, 100);
  table.set(Array.from({ length: 100 }, (_, i) => route(i + 50, 1)));
  t.is(table.size, 100);
  t.is(table.end, 100, 'the 50 new routes took the 50 freed slots');
});

test('the table keeps the caller\'s parsed prefix when its key is the prefix text, and parses otherwise', (t) => {
  const own = parsePrefix('10.1.0.0/16');
  const other = parsePrefix('10.2.0.0/16');
  const table = tableOf([
    { prefix: '10.1.0.0/16', nextHop: '192.0.2.1', parsed: own },
    { prefix: '10.3.0.0/16', nextHop: '192.0.2.1', parsed: other },
  ]);
  t.is(table.prefixes[table.slotOf(own)], own);
  const parsed = table.prefixes[table.slotOf(parsePrefix('10.3.0.0/16'))]!;
  t.not(parsed, other);
  t.is(parsed.key, '10.3.0.0/16');
  t.is(table.slotOf(other), -1);
});

test('a table emptied and filled again reuses its slots instead of growing', (t) => {
  const list = Array.from({ length: 1000 }, (_, i) => route(i, i % 7));
  for (const window of [0, 10]) {
    const table = tableOf(list, window);
    const capacity = table.capacity;
    table.set([]);
    t.is(table.size, 0);
    table.set(list);
    t.is(table.capacity, capacity, `window ${window}`);
    t.deepEqual(asObject(table), asObject(tableOf(list)), `window ${window}`);
  }
});
