// The pod-CIDR claim index of the file source (src/controller/claim-index.ts)
// against a model, a Map from prefix text to the list of claimants: after
// any sequence of claims, releases and forgotten owners, each prefix has the
// model's one owner or none, and the contested prefixes are the model's,
// with the same claimants. The prefixes are few and the table starts at 8
// slots, so claims collide, the table grows and removals shift probe runs
// that wrap around its end; IPv6 and host-bit CIDRs take the other path.

import test from 'ava';
import fc from 'fast-check';
import { ClaimIndex } from '../../src/controller/claim-index.js';
import { parseCIDR, type CIDR } from '../../src/controller/ip.js';

const TEXTS = [
  ...Array.from({ length: 24 }, (_, i) => `10.${i % 3}.${i}.0/24`),
  '10.0.0.0/16',
  '10.0.0.0/8',
  '0.0.0.0/0',
  '255.255.255.255/32',
  '10.0.0.1/24', // host bits: the same prefix as 10.0.0.0/24 in text form, but not canonical
  'fd00:1::/64',
  'fd00:2::/64',
];
const CIDRS: CIDR[] = TEXTS.map((t) => parseCIDR(t)!);

interface Owner {
  readonly name: string;
}

type Op = { kind: 'claim' | 'release'; cidr: number; owner: number } | { kind: 'forget'; owner: number } | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 30, arbitrary: fc.record({ kind: fc.constant('claim' as const), cidr: fc.nat(CIDRS.length - 1), owner: fc.nat(3) }) },
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('release' as const), cidr: fc.nat(CIDRS.length - 1), owner: fc.nat(3) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('forget' as const), owner: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

test('claims, releases and forgotten owners give the model’s owners and contested prefixes', (t) => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const owners: Owner[] = [0, 1, 2, 3].map((i) => ({ name: `n${i}` }));
      const index = new ClaimIndex<Owner>(8);
      const model = new Map<string, Owner[]>();
      for (const o of ops) {
        if (o.kind === 'clear') {
          index.clear();
          model.clear();
          continue;
        }
        const owner = owners[o.owner]!;
        if (o.kind === 'forget') {
          // The caller's contract: an owner is forgotten after all its claims are released.
          for (const c of CIDRS) index.release(c, owner);
          index.forget(owner);
          for (const [k, list] of model) {
            const kept = list.filter((x) => x !== owner);
            if (kept.length === 0) model.delete(k);
            else model.set(k, kept);
          }
          continue;
        }
        const cidr = CIDRS[o.cidr]!;
        const list = model.get(cidr.text) ?? [];
        if (o.kind === 'claim') {
          index.claim(cidr, owner);
          if (!list.includes(owner)) model.set(cidr.text, [...list, owner]);
        } else {
          index.release(cidr, owner);
          const kept = list.filter((x) => x !== owner);
          if (kept.length === 0) model.delete(cidr.text);
          else model.set(cidr.text, kept);
        }
      }
      for (const c of CIDRS) {
        const list = model.get(c.text) ?? [];
        t.is(index.owner(c), list.length === 1 ? list[0] : undefined, `owner of ${c.text}`);
      }
      const contested = [...index.contested].map(([k, v]) => [k, v.map((o) => o.name).sort()] as const).sort();
      const expected = [...model].filter(([, v]) => v.length > 1).map(([k, v]) => [k, v.map((o) => o.name).sort()] as const).sort();
      t.deepEqual(contested, expected);
    }),
    { numRuns: 300 },
  );
});

test('a host-bit CIDR and the canonical CIDR it names are one prefix', (t) => {
  const index = new ClaimIndex<Owner>();
  const a = { name: 'a' };
  const b = { name: 'b' };
  index.claim(parseCIDR('10.0.0.0/24')!, a);
  index.claim(parseCIDR('10.0.0.1/24')!, b);
  t.deepEqual([...index.contested.keys()], ['10.0.0.0/24']);
  index.release(parseCIDR('10.0.0.0/24')!, a);
  t.is(index.owner(parseCIDR('10.0.0.0/24')!), b, 'b still claims it, by a CIDR written with host bits');
  t.is(index.contested.size, 0);
});

test('100,000 IPv4 prefixes: every one found, and none left after all are released', (t) => {
  const index = new ClaimIndex<Owner>(8);
  const a = { name: 'a' };
  const cidrs = Array.from({ length: 100_000 }, (_, i) => parseCIDR(`${32 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`)!);
  for (const c of cidrs) index.claim(c, a);
  t.true(cidrs.every((c) => index.owner(c) === a));
  for (let i = 0; i < cidrs.length; i += 2) index.release(cidrs[i]!, a);
  t.true(cidrs.every((c, i) => index.owner(c) === (i % 2 === 0 ? undefined : a)));
  for (let i = 1; i < cidrs.length; i += 2) index.release(cidrs[i]!, a);
  t.true(cidrs.every((c) => index.owner(c) === undefined));
  t.is(index.contested.size, 0);
});
