// Label selector parsing and matching: every operator, all(), whitespace,
// Kubernetes key/value rules, and error messages with positions.

import test from 'ava';
import fc from 'fast-check';
import { formatSelector, labelKeyError, labelValueError, matches, parseSelector } from '../../src/controller/selector.js';

const cases: [string, Record<string, string>, boolean][] = [
  ['zone=a', { zone: 'a' }, true],
  ['zone=a', { zone: 'b' }, false],
  ['zone=a', {}, false],
  ['zone==a', { zone: 'a' }, true],
  ['zone!=a', { zone: 'b' }, true],
  ['zone!=a', {}, true],
  ['zone!=a', { zone: 'a' }, false],
  ['zone in (a,b)', { zone: 'b' }, true],
  ['zone in (a,b)', { zone: 'c' }, false],
  ['zone in (a,b)', {}, false],
  ['zone notin (a,b)', { zone: 'c' }, true],
  ['zone notin (a,b)', {}, true],
  ['zone notin (a,b)', { zone: 'a' }, false],
  ['zone', { zone: '' }, true],
  ['zone', {}, false],
  ['!zone', {}, true],
  ['!zone', { zone: 'a' }, false],
  ['zone=a,rack', { zone: 'a', rack: 'r1' }, true],
  ['zone=a,rack', { zone: 'a' }, false],
  ['zone=', { zone: '' }, true],
  ['zone=', { zone: 'a' }, false],
  ['alibabacloud.com/nodepool-id=npxxx', { 'alibabacloud.com/nodepool-id': 'npxxx' }, true],
  ['  zone  =  a ,  ! rack ', { zone: 'a' }, true],
  ['zone in ( a , b ),rack notin(r1)', { zone: 'a', rack: 'r2' }, true],
  ['all()', {}, true],
  [' all( ) ', { x: 'y' }, true],
  ['', { x: 'y' }, true],
];

for (const [text, labels, want] of cases) {
  test(`selector ${JSON.stringify(text)} ${want ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, (t) => {
    t.is(matches(parseSelector(text), labels), want);
  });
}

const errors: [string, string][] = [
  ['zone=a b', 'at position 8: expected \',\' or the end of the selector, found "b"'],
  ['zone in a', 'at position 9: expected \'(\' after in/notin, found "a"'],
  ['zone in (a', "at position 11: expected ',' or ')' in the value list, found the end of the selector"],
  ['zone>3', "at position 5: the operator '>' is not supported (use =, ==, !=, in, notin, k or !k)"],
  ['=a', "at position 1: expected a label key, found '='"],
  ['zone=a,', 'at position 8: expected a label key, found the end of the selector'],
  ['!', 'at position 2: expected a label key, found the end of the selector'],
  ['-zone=a', 'at position 1: label key name "-zone" must be alphanumerics, \'-\', \'_\' or \'.\', starting and ending with an alphanumeric'],
  ['Example.COM/zone=a', 'at position 1: label key prefix "Example.COM" is not a DNS subdomain (lower-case alphanumerics, \'-\' and \'.\')'],
  [`zone=${'v'.repeat(64)}`, `at position 6: label value "${'v'.repeat(64)}" is longer than 63 characters`],
  ['zone a', 'at position 6: expected =, ==, !=, in, notin, \',\' or the end after the key "zone", found "a"'],
];

for (const [text, message] of errors) {
  test(`selector ${JSON.stringify(text)} is rejected with its position`, (t) => {
    const e = t.throws(() => parseSelector(text));
    t.is(e?.message, message);
  });
}

test('label keys and values follow the Kubernetes length rules', (t) => {
  t.is(labelKeyError('a'.repeat(63)), undefined);
  t.truthy(labelKeyError('a'.repeat(64)));
  t.is(labelKeyError(`${'p'.repeat(63)}.example.com/name`), undefined);
  t.truthy(labelKeyError(`${'p.'.repeat(127)}x/name`));
  t.truthy(labelKeyError('/name'));
  t.truthy(labelKeyError('prefix/'));
  t.is(labelValueError(''), undefined);
  t.is(labelValueError('a_b.c-d'), undefined);
  t.truthy(labelValueError('a b'));
});

test('in and notin sets are sorted and de-duplicated, and formatting round-trips', (t) => {
  const s = parseSelector('zone in (b,a,b), !rack, x!=1');
  t.deepEqual(s.requirements[0], { key: 'zone', op: 'in', values: ['a', 'b'] });
  t.is(formatSelector(s), '!rack,x!=1,zone in (a,b)');
  t.is(formatSelector(parseSelector(formatSelector(s))), formatSelector(s));
});

test('a formatted selector matches exactly the same label sets as the original', (t) => {
  const key = fc.constantFrom('zone', 'rack', 'example.com/pool');
  const val = fc.constantFrom('a', 'b', 'c', '');
  const req = fc.oneof(
    fc.tuple(key, val).map(([k, v]) => `${k}=${v}`),
    fc.tuple(key, val).map(([k, v]) => `${k}!=${v}`),
    fc.tuple(key, fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1 })).map(([k, vs]) => `${k} in (${vs.join(',')})`),
    fc.tuple(key, fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1 })).map(([k, vs]) => `${k} notin (${vs.join(',')})`),
    key,
    key.map((k) => `!${k}`),
  );
  const labels = fc.dictionary(key, val);
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(req, { minLength: 1, maxLength: 4 }), labels, (reqs, l) => {
        const s = parseSelector(reqs.join(','));
        return matches(s, l) === matches(parseSelector(formatSelector(s)), l);
      }),
    ),
  );
});

test('a label whose value is not a string counts as absent', (t) => {
  const labels = { rack: 7 } as unknown as Record<string, string>;
  t.false(matches(parseSelector('rack'), labels));
  t.true(matches(parseSelector('!rack'), labels));
  t.false(matches(parseSelector('rack=7'), labels));
});
