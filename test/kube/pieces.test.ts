// The pure pieces of the test API server: JSONPath for printer columns,
// label and field selectors, merge and JSON patches, and HumanDuration ages.

import test from 'ava';
import { find, text } from './jsonpath.js';
import { jsonPatch, mergePatch } from './patch.js';
import { parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import { humanDuration } from './table.js';

test('JSONPath filters select the status of the matching condition', (t) => {
  const obj = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Established', status: 'True' }] }, spec: { l: ['a', 'b'] } };
  t.deepEqual(find('.status.conditions[?(@.type=="Established")].status', obj), ['True']);
  t.deepEqual(find('.status.conditions[*].type', obj), ['Ready', 'Established']);
  t.deepEqual(find('.status.conditions[1].type', obj), ['Established']);
  t.deepEqual(find('.status.missing', obj), []);
  t.is(text(find('.spec.l', obj)), '["a","b"]');
});

test('label selectors follow the Kubernetes operators and comma means AND', (t) => {
  const node = { metadata: { labels: { zone: 'a', role: 'edge' } } };
  const cases: [string, boolean][] = [
    ['zone=a', true], ['zone==a', true], ['zone!=a', false], ['zone in (b,a)', true], ['zone notin (a)', false],
    ['role', true], ['!role', false], ['!gpu', true], ['zone=a,role=edge', true], ['zone=a,role=core', false], ['gpu!=x', true],
  ];
  for (const [sel, want] of cases) t.is(parseLabelSelector(sel)(node), want, sel);
  t.throws(() => parseLabelSelector('zone in a'), { instanceOf: SelectorError });
});

test('field selectors match empty values, negation and escaped commas, and refuse unknown fields', (t) => {
  const ev = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { name: 'a,b', kind: 'BGPPeer' } };
  t.true(parseFieldSelector('involvedObject.name=a\\,b,involvedObject.namespace=', 'events')(ev));
  t.false(parseFieldSelector('involvedObject.kind!=BGPPeer', 'events')(ev));
  t.throws(() => parseFieldSelector('involvedObject.name=x', 'nodes'), { message: 'field label not supported: involvedObject.name' });
});

test('merge patches merge objects, delete on null and replace arrays', (t) => {
  const target = { a: { b: 1, c: 2 }, l: [1, 2], keep: true };
  t.deepEqual(mergePatch(target, { a: { b: null, d: 3 }, l: [3] }), { a: { c: 2, d: 3 }, l: [3], keep: true });
  t.deepEqual(target, { a: { b: 1, c: 2 }, l: [1, 2], keep: true });
});

test('JSON patches support add, remove, replace, move, copy and test', (t) => {
  const doc = { a: [1, 2], b: { c: 1 } };
  t.deepEqual(
    jsonPatch(doc, [
      { op: 'add', path: '/a/1', value: 9 },
      { op: 'remove', path: '/a/0' },
      { op: 'copy', from: '/b/c', path: '/d' },
      { op: 'move', from: '/b', path: '/e' },
      { op: 'replace', path: '/d', value: 'x' },
      { op: 'test', path: '/a', value: [9, 2] },
    ]),
    { a: [9, 2], d: 'x', e: { c: 1 } },
  );
  t.throws(() => jsonPatch(doc, [{ op: 'replace', path: '/zz', value: 1 }]));
});

test('ages read like kubectl prints them', (t) => {
  const s = 1000;
  t.is(humanDuration(5 * s), '5s');
  t.is(humanDuration(119 * s), '119s');
  t.is(humanDuration(150 * s), '2m30s');
  t.is(humanDuration(600 * s), '10m');
  t.is(humanDuration(3 * 3600 * s + 25 * 60 * s), '3h25m');
  t.is(humanDuration(30 * 3600 * s), '30h');
  t.is(humanDuration(50 * 3600 * s), '2d2h');
  t.is(humanDuration(-5 * s), '<invalid>');
});
