import test from 'ava';
import {
  addressFamily,
  formatAddress,
  nlriLength,
  parseAddress,
  parsePrefix,
  prefixFromNlri,
  writeNlri,
} from '../../src/bgp/prefix.js';

test('parsePrefix gives canonical keys and NLRI bytes for IPv4 and IPv6', (t) => {
  const v4 = parsePrefix('10.244.1.0/24');
  t.is(v4.afi, 1);
  t.is(v4.length, 24);
  t.deepEqual([...v4.bytes], [10, 244, 1]);
  t.is(v4.key, '10.244.1.0/24');
  const v6 = parsePrefix('2001:0DB8:0001:0000::/64');
  t.is(v6.afi, 2);
  t.deepEqual([...v6.bytes], [0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00]);
  t.is(v6.key, '2001:db8:1::/64');
  t.is(parsePrefix('0.0.0.0/0').bytes.length, 0);
  t.is(parsePrefix('::/0').key, '::/0');
  t.is(parsePrefix('10.0.0.1/32').key, '10.0.0.1/32');
});

test('parsePrefix rejects host bits, bad lengths and bad addresses with a message naming the text', (t) => {
  t.throws(() => parsePrefix('10.244.1.1/24'), { message: /"10\.244\.1\.1\/24".*host bits.*10\.244\.1\.0\/24/ });
  t.throws(() => parsePrefix('10.0.0.0/33'), { message: /"10\.0\.0\.0\/33".*33/ });
  t.throws(() => parsePrefix('2001:db8::/129'), { message: /129/ });
  t.throws(() => parsePrefix('10.0.0.0/-1'), { message: /bad length/ });
  t.throws(() => parsePrefix('10.0.0.0/024'), { message: /bad length/ });
  t.throws(() => parsePrefix('10.0.0.0'), { message: /no "\/length"/ });
  t.throws(() => parsePrefix('300.0.0.0/8'), { message: /"300\.0\.0\.0\/8"/ });
  t.throws(() => parsePrefix('2001:db8:::/48'), { message: /2001:db8:::/ });
});

test('IPv6 text follows RFC 5952: lower case, longest zero run, first on a tie, no single-group ::', (t) => {
  const f = (s: string) => formatAddress(2, parseAddress(s).bytes);
  t.is(f('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  t.is(f('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  t.is(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  t.is(f('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  t.is(f('::1'), '::1');
  t.is(f('::'), '::');
  t.is(f('fe80::'), 'fe80::');
  t.is(f('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
});

test('prefixFromNlri copies the octets and clears trailing bits', (t) => {
  const src = new Uint8Array([10, 1, 3, 99]);
  const p = prefixFromNlri(1, 23, src.subarray(0, 3));
  t.is(p.key, '10.1.2.0/23');
  src[0] = 11;
  t.is(p.bytes[0], 10);
  t.is(prefixFromNlri(2, 48, new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 1])).key, '2001:db8:1::/48');
  t.throws(() => prefixFromNlri(1, 33, new Uint8Array(5)));
  t.throws(() => prefixFromNlri(1, 24, new Uint8Array(2)));
});

test('writeNlri writes the length octet and the prefix octets and returns the next offset', (t) => {
  const p = parsePrefix('10.244.0.0/16');
  t.is(nlriLength(p), 3);
  const buf = new Uint8Array(6).fill(0xee);
  t.is(writeNlri(buf, 2, p), 5);
  t.deepEqual([...buf], [0xee, 0xee, 16, 10, 244, 0xee]);
});

test('parseAddress and addressFamily accept addresses only', (t) => {
  t.deepEqual([...parseAddress('192.0.2.1').bytes], [192, 0, 2, 1]);
  t.is(parseAddress('2001:db8::1').afi, 2);
  t.throws(() => parseAddress('10.0.0.0/8'), { message: /prefix length/ });
  t.throws(() => parseAddress('nope'), { message: /"nope"/ });
  t.throws(() => parseAddress('fe80::1%eth0'), { message: /zone/ });
  t.is(addressFamily('10.0.0.1'), 1);
  t.is(addressFamily('fd00::11'), 2);
  t.is(addressFamily('10.0.0.0/8'), null);
  t.is(addressFamily('example.com'), null);
});

test('keys of one million IPv4 prefixes decode quickly', (t) => {
  const bytes = new Uint8Array(3);
  const start = process.hrtime.bigint();
  const seen = new Set<string>();
  for (let i = 0; i < 1_000_000; i++) {
    bytes[0] = 10;
    bytes[1] = (i >> 8) & 0xff;
    bytes[2] = i & 0xff;
    const p = prefixFromNlri(1, 24, bytes);
    if (i < 65536) seen.add(p.key);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.is(seen.size, 65536);
  t.true(ms < 5000, `took ${ms} ms`);
});

test('the IPv4 fast path agrees with the NLRI form and canonical key for any prefix', async (t) => {
  const fc = await import('fast-check');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (addr, length) => {
      const masked = length === 0 ? 0 : (addr & (0xffffffff << (32 - length))) >>> 0;
      const text = `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${length}`;
      const p = parsePrefix(text);
      const q = prefixFromNlri(1, length, p.bytes);
      return p.key === text && q.key === text && p.length === length && p.bytes.length === (length + 7) >> 3;
    }),
  );
  // Non-canonical or host-bit forms leave the fast path and get the general answer.
  t.throws(() => parsePrefix('10.0.0.1/24'), { message: /host bits are set/ });
  t.throws(() => parsePrefix('010.0.0.0/8'));
  t.throws(() => parsePrefix('10.0.0.0/08'), { message: /bad length/ });
});
