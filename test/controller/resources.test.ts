// IP address and CIDR parsing in resources.ts: canonical text (RFC 5952 for
// IPv6), host bits, ordering; and the problem line format.

import test from 'ava';
import fc from 'fast-check';
import { compareCIDR, parseCIDR, parseIP, problem } from '../../src/controller/resources.js';

const ipCases: [string, string | undefined][] = [
  ['172.16.0.1', '172.16.0.1'],
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
  ['172.16.0.300', undefined],
  ['172.016.0.1', undefined],
  ['172.16.0', undefined],
  ['172.16.0.1.', undefined],
  ['1.2.3.4/32', undefined],
  [' 1.2.3.4', undefined],
  ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['2001:0db8::0001', '2001:db8::1'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['::', '::'],
  ['::1', '::1'],
  ['1::', '1::'],
  // RFC 5952 §5: an IPv4-mapped address keeps its dotted quad, as on the wire (src/bgp/prefix.ts).
  ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
  ['fe80::1%eth0', undefined],
  ['1:2:3:4:5:6:7:8:9', undefined],
  ['1::2::3', undefined],
  ['12345::', undefined],
  [':1::', undefined],
  ['1:::2', undefined],
  ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ['', undefined],
  ['g::1', undefined],
];

for (const [text, want] of ipCases) {
  test(`parseIP(${JSON.stringify(text)}) is ${want === undefined ? 'rejected' : want}`, (t) => {
    t.is(parseIP(text)?.text, want);
  });
}

test('parseIP gives the address bytes and flags unspecified and multicast addresses', (t) => {
  t.deepEqual([...parseIP('10.1.2.3')!.bytes], [10, 1, 2, 3]);
  t.deepEqual([...parseIP('fd00::1:2')!.bytes], [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
  t.true(parseIP('0.0.0.0')!.unspecified);
  t.true(parseIP('::')!.unspecified);
  t.true(parseIP('239.1.1.1')!.multicast);
  t.true(parseIP('ff02::5')!.multicast);
  t.false(parseIP('10.0.0.1')!.multicast);
});

test('parseCIDR canonicalises, clears host bits and flags them', (t) => {
  t.like(parseCIDR('10.244.1.0/24'), { text: '10.244.1.0/24', length: 24, hostBits: false, family: 'ipv4' });
  t.like(parseCIDR('10.244.1.5/24'), { text: '10.244.1.0/24', hostBits: true });
  t.like(parseCIDR('10.244.1.128/25'), { text: '10.244.1.128/25', hostBits: false });
  t.like(parseCIDR('fd00:10:244:1:0:0:0:0/64'), { text: 'fd00:10:244:1::/64', hostBits: false, family: 'ipv6' });
  t.like(parseCIDR('fd00:10:244:1::1/64'), { text: 'fd00:10:244:1::/64', hostBits: true });
  t.like(parseCIDR('0.0.0.0/0'), { text: '0.0.0.0/0' });
  t.like(parseCIDR('::/0'), { text: '::/0' });
  for (const bad of ['10.0.0.0/33', '10.0.0.0', '10.0.0.0/', '10.0.0.0/024', 'fd00::/129', '10.0.0.0/2a', 'x/8']) {
    t.is(parseCIDR(bad), undefined, bad);
  }
});

test('CIDRs sort IPv4 first, then by address, then by length', (t) => {
  const texts = ['fd00::/64', '10.244.10.0/24', '10.244.2.0/24', '10.244.2.0/23', '9.0.0.0/8', '::/0'];
  const sorted = texts.map((x) => parseCIDR(x)!).sort(compareCIDR).map((c) => c.text);
  t.deepEqual(sorted, ['9.0.0.0/8', '10.244.2.0/23', '10.244.2.0/24', '10.244.10.0/24', '::/0', 'fd00::/64']);
});

test('a problem line names the object and the field', (t) => {
  t.is(problem('BGPPeer', 'peer', 'spec.peerIP', 'x').line, 'BGPPeer peer: spec.peerIP: x');
  t.is(problem('File', 'a.yaml', '3:5', 'bad').line, 'a.yaml:3:5: bad');
  t.is(problem('Node', 'n', 'f', 'm', 'InvalidSpec', 'warning').severity, 'warning');
  t.is(problem('Node', 'n', 'f', 'm').severity, undefined);
});

test('IPv4 CIDRs read through the canonical fast path agree with the general path in text, bytes and order', (t) => {
  const quad = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  const masked = (n: number, len: number): number => (len === 0 ? 0 : (n & (0xffffffff << (32 - len))) >>> 0);
  const cidr = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }));
  t.notThrows(() =>
    fc.assert(
      fc.property(cidr, cidr, ([a, la], [b, lb]) => {
        // "x/len" with host bits goes the general way; its cleared form is canonical and goes the fast way.
        const slow = parseCIDR(`${quad(a)}/${la}`)!;
        const fast = parseCIDR(`${quad(masked(a, la))}/${la}`)!;
        const other = parseCIDR(`${quad(masked(b, lb))}/${lb}`)!;
        const wantOrder = Math.sign(masked(a, la) - masked(b, lb) || la - lb);
        return (
          slow.text === fast.text &&
          slow.hostBits === (masked(a, la) !== a) &&
          !fast.hostBits &&
          [...slow.address].join() === [...fast.address].join() &&
          Math.sign(compareCIDR(fast, other)) === wantOrder &&
          Math.sign(compareCIDR(slow, other)) === wantOrder
        );
      }),
    ),
  );
});
