// The libc layer for TCP MD5 (RFC 2385), TTL and GTSM (RFC 5082): sockaddr
// bytes, option values read back from the kernel, errors that name the
// operation and errno but never the key.

import test from 'ava';
import net from 'node:net';
import {
  bindAddress,
  closeFd,
  createStreamSocket,
  encodeSockaddr,
  getMinTtl,
  getTtl,
  md5Supported,
  setMd5Key,
  setMinTtl,
  setReuseAddr,
  setTtl,
  SocketOptionError,
} from '../../src/bgp/tcp-md5.js';

const linux = md5Supported() ? test : test.skip;

test('the libc layer is available on Linux with koffi installed', (t) => {
  t.is(md5Supported(), process.platform === 'linux');
});

test('an IPv4 sockaddr_in is family 2 little-endian, port big-endian, then the address', (t) => {
  // 02 00 | 00 b3 (179) | 0a 00 00 01 | 8 bytes of zero padding
  t.is(encodeSockaddr(4, '10.0.0.1', 179).toString('hex'), '0200' + '00b3' + '0a000001' + '00'.repeat(8));
});

test('an IPv6 sockaddr_in6 is family 10, port, flowinfo, 16 address bytes, scope id', (t) => {
  const expected = '0a00' + '1f90' + '00000000' + '20010db8000000000000000000000001' + '00000000';
  t.is(encodeSockaddr(6, '2001:db8::1', 8080).toString('hex'), expected);
  t.is(encodeSockaddr(6, '2001:0db8:0:0:0:0:0:1', 8080).toString('hex'), expected);
});

test('an IPv4 address on an IPv6 socket is written as ::ffff:a.b.c.d', (t) => {
  const mapped = '0a00' + '0000' + '00000000' + '00000000000000000000ffff' + 'ac100001' + '00000000';
  t.is(encodeSockaddr(6, '172.16.0.1', 0).toString('hex'), mapped);
  t.is(encodeSockaddr(6, '::ffff:172.16.0.1', 0).toString('hex'), mapped);
});

test('an IPv6 address cannot be written for an IPv4 socket', (t) => {
  t.throws(() => encodeSockaddr(4, '::1', 0), { message: /IPv6 address ::1 cannot be used on an IPv4 socket/ });
  t.throws(() => encodeSockaddr(4, 'bgp.example', 0), { message: /not an IP address/ });
});

linux('a link-local address carries the index of its interface as scope id', (t) => {
  const sa = encodeSockaddr(6, 'fe80::1%lo', 179);
  t.is(sa.readUInt32LE(24), 1);
  t.is(encodeSockaddr(6, 'fe80::1%7', 179).readUInt32LE(24), 7);
  t.throws(() => encodeSockaddr(6, 'fe80::1%no-such-if0', 179), { message: /no network interface named "no-such-if0"/ });
});

function socketFor(t: import('ava').ExecutionContext, family: 4 | 6): number {
  const fd = createStreamSocket(family);
  t.teardown(() => closeFd(fd));
  return fd;
}

linux('TTL and hop limit set on a socket read back from the kernel', (t) => {
  const v4 = socketFor(t, 4);
  t.is(getTtl(v4, 4), 64, 'Linux default before we set it');
  setTtl(v4, 4, 1);
  t.is(getTtl(v4, 4), 1);
  const v6 = socketFor(t, 6);
  setTtl(v6, 6, 2);
  t.is(getTtl(v6, 6), 2);
});

linux('a minimum TTL for GTSM reads back from the kernel', (t) => {
  const v4 = socketFor(t, 4);
  t.is(getMinTtl(v4, 4), 0);
  setMinTtl(v4, 4, 255);
  t.is(getMinTtl(v4, 4), 255);
  const v6 = socketFor(t, 6);
  setMinTtl(v6, 6, 254);
  t.is(getMinTtl(v6, 6), 254);
});

linux('TTL values outside 1..255 are refused before any system call', (t) => {
  const fd = socketFor(t, 4);
  t.throws(() => setTtl(fd, 4, 0), { message: /TTL must be an integer from 1 to 255, got 0/ });
  t.throws(() => setTtl(fd, 4, 256), { message: /got 256/ });
  t.throws(() => setMinTtl(fd, 4, 1.5), { message: /minimum TTL must be an integer/ });
});

linux('an MD5 key of 80 bytes is accepted and one of 81 bytes is refused without echoing it', (t) => {
  const fd = socketFor(t, 4);
  t.notThrows(() => setMd5Key(fd, 4, '127.0.0.1', 'k'.repeat(80)));
  const long = 'secret-' + 'x'.repeat(74);
  const err = t.throws(() => setMd5Key(fd, 4, '127.0.0.1', long));
  t.regex(err.message, /81 bytes long; RFC 2385 allows at most 80/);
  t.false(err.message.includes('secret-'));
});

linux('the MD5 key length counts UTF-8 bytes, not characters', (t) => {
  const fd = socketFor(t, 4);
  t.throws(() => setMd5Key(fd, 4, '127.0.0.1', 'é'.repeat(41)), { message: /82 bytes long/ });
  t.notThrows(() => setMd5Key(fd, 4, '127.0.0.1', 'é'.repeat(40)));
});

linux('an empty MD5 key is refused rather than taken as no key', (t) => {
  const fd = socketFor(t, 4);
  t.throws(() => setMd5Key(fd, 4, '127.0.0.1', ''), { message: /TCP MD5 key for 127.0.0.1 is empty/ });
});

linux('keys can be set for IPv4 and v4-mapped peers, changed, and removed', (t) => {
  const v4 = socketFor(t, 4);
  setMd5Key(v4, 4, '127.0.0.2', 'one');
  setMd5Key(v4, 4, '127.0.0.2', 'two');
  setMd5Key(v4, 4, '127.0.0.2', undefined);
  t.notThrows(() => setMd5Key(v4, 4, '127.0.0.2', undefined), 'removing an absent key is not an error');
  const v6 = socketFor(t, 6);
  t.notThrows(() => setMd5Key(v6, 6, '127.0.0.2', 'mapped'));
  t.notThrows(() => setMd5Key(v6, 6, '::1', 'six'));
});

linux('binding to an address this host does not have fails with EADDRNOTAVAIL, named', (t) => {
  const fd = socketFor(t, 4);
  const err = t.throws(() => bindAddress(fd, 4, '192.0.2.1', 0), { instanceOf: SocketOptionError });
  t.is(err.code, 'EADDRNOTAVAIL');
  t.is(err.syscall, 'bind');
  t.regex(err.message, /binding to local address 192\.0\.2\.1 port 0: bind failed with EADDRNOTAVAIL/);
});

linux('a socket keyed through this layer and handed to net.Server accepts a keyed client and ignores an unkeyed one', async (t) => {
  const fd = createStreamSocket(4);
  setReuseAddr(fd);
  setMd5Key(fd, 4, '127.0.0.1', 'layer-key');
  bindAddress(fd, 4, '127.0.0.1', 0);
  const server = net.createServer((s) => s.end('hello'));
  t.teardown(() => void server.close());
  await new Promise<void>((resolve) => server.listen({ fd }, resolve));
  const { port } = server.address() as net.AddressInfo;

  const client = createStreamSocket(4);
  setMd5Key(client, 4, '127.0.0.1', 'layer-key');
  const keyed = new net.Socket({ fd: client, readable: true, writable: true });
  t.teardown(() => keyed.destroy());
  keyed.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  keyed.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((resolve) => keyed.on('end', resolve));
  t.is(Buffer.concat(chunks).toString(), 'hello');

  // Unsigned SYNs to a port with a key for this source are dropped: no answer at all.
  const plain = net.connect({ host: '127.0.0.1', port });
  t.teardown(() => plain.destroy());
  const outcome = await new Promise<string>((resolve) => {
    plain.on('connect', () => resolve('connected'));
    plain.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
    setTimeout(() => resolve('silence'), 700);
  });
  t.is(outcome, 'silence');
});
