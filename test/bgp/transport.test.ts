// dial() and Listener on real loopback sockets: TCP MD5 (RFC 2385) keys on
// both ends, source address, TTL / GTSM, failures explained in words, no fd
// leaks, cancellation, and the listener's peer filter.

import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { applyTtl, canonicalAddress, dial, DialError, explainConnectError, Listener } from '../../src/bgp/transport.js';
import {
  bindAddress,
  createStreamSocket,
  getIntOption,
  getMinTtl,
  getTtl,
  md5Supported,
  setMd5Key,
  setReuseAddr,
} from '../../src/bgp/tcp-md5.js';

const linux = md5Supported() ? test : test.skip;
const linuxSerial = md5Supported() ? test.serial : test.serial.skip;
const execFileP = promisify(execFile);

/** The fd under a net.Socket, to read its options back. */
function fdOf(socket: net.Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

async function openListener(t: ExecutionContext, address = '127.0.0.1'): Promise<Listener> {
  const listener = await Listener.open({ address, port: 0 });
  t.teardown(() => listener.close());
  return listener;
}

/** Answers every declared peer with "from <peer>" and echoes what it sends. */
function echoPeers(listener: Listener, t: ExecutionContext): void {
  listener.on('connection', (socket, peer) => {
    t.teardown(() => socket.destroy());
    socket.write(`from ${peer}\n`);
    socket.pipe(socket);
  });
}

async function exchange(t: ExecutionContext, socket: net.Socket, text: string): Promise<string> {
  t.teardown(() => socket.destroy());
  let received = '';
  socket.setEncoding('utf8');
  socket.write(text);
  return new Promise((resolve, reject) => {
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.endsWith(text)) resolve(received);
    });
    socket.on('error', reject);
  });
}

async function dialFails(opts: Parameters<typeof dial>[0]): Promise<DialError> {
  try {
    const s = await dial(opts);
    s.destroy();
  } catch (e) {
    if (e instanceof DialError) return e;
    throw e;
  }
  throw new Error('dial succeeded where it should have failed');
}

linux('matching MD5 keys on dial and Listener connect and carry bytes both ways', async (t) => {
  const listener = await openListener(t);
  listener.setPeer('127.0.0.2', 'rack-7 secret');
  echoPeers(listener, t);
  const socket = await dial({ host: '127.0.0.1', port: listener.address().port, localAddress: '127.0.0.2', md5Key: 'rack-7 secret', timeoutMs: 3000 });
  t.is(await exchange(t, socket, 'ping'), 'from 127.0.0.2\nping');
});

linux('dial connects to a net.Server whose socket was keyed directly through tcp-md5.ts', async (t) => {
  const fd = createStreamSocket(4);
  setReuseAddr(fd);
  setMd5Key(fd, 4, '127.0.0.1', 'hand-keyed');
  bindAddress(fd, 4, '127.0.0.1', 0);
  const server = net.createServer((s) => s.pipe(s));
  t.teardown(() => void server.close());
  await new Promise<void>((resolve) => server.listen({ fd }, resolve));
  const { port } = server.address() as net.AddressInfo;

  const socket = await dial({ host: '127.0.0.1', port, md5Key: 'hand-keyed', timeoutMs: 3000 });
  t.is(await exchange(t, socket, 'both ways'), 'both ways');
  t.is(socket.remotePort, port);
});

linux('a wrong MD5 key times out within timeoutMs and says a key mismatch is possible', async (t) => {
  const listener = await openListener(t);
  listener.setPeer('127.0.0.1', 'right');
  echoPeers(listener, t);
  const port = listener.address().port;
  const started = Date.now();
  const err = await dialFails({ host: '127.0.0.1', port, md5Key: 'wrong', timeoutMs: 800 });
  const took = Date.now() - started;
  t.is(err.kind, 'timeout');
  t.is(err.message, `no answer from 127.0.0.1:${port} within 0.8 s (TCP MD5 key mismatch or peer unreachable?)`);
  t.false(err.message.includes('wrong') || err.message.includes('right'));
  t.true(took >= 750 && took < 3000, `took ${took} ms`);
});

linux('an unkeyed dial to a peer that expects a key times out with the plain hint', async (t) => {
  const listener = await openListener(t);
  listener.setPeer('127.0.0.1', 'expected');
  echoPeers(listener, t);
  const port = listener.address().port;
  const err = await dialFails({ host: '127.0.0.1', port, localAddress: '127.0.0.1', timeoutMs: 500 });
  t.is(err.kind, 'timeout');
  t.is(err.message, `no answer from 127.0.0.1:${port} within 0.5 s (peer unreachable or filtered?)`);
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a closed port without a key is refused quickly, in words', async (t) => {
  const port = await closedPort();
  const started = Date.now();
  const err = await dialFails({ host: '127.0.0.1', port, timeoutMs: 10_000 });
  t.is(err.kind, 'refused');
  t.is(err.code, 'ECONNREFUSED');
  t.is(err.message, `connection refused by 127.0.0.1:${port} (is BGP running on the peer?)`);
  t.true(Date.now() - started < 3000);
});

linux('a closed port with a key set looks like a timeout, because the unsigned RST is dropped', async (t) => {
  const port = await closedPort();
  const err = await dialFails({ host: '127.0.0.1', port, md5Key: 'k', timeoutMs: 400 });
  t.is(err.kind, 'timeout');
  t.regex(err.message, /TCP MD5 key mismatch/);
});

linux('a local address this host does not have gives a clear error, with and without a key', async (t) => {
  for (const md5Key of [undefined, 'k']) {
    const err = await dialFails({ host: '127.0.0.1', port: 22001, localAddress: '192.0.2.10', md5Key, timeoutMs: 3000 });
    t.is(err.kind, 'error');
    t.is(err.code, 'EADDRNOTAVAIL');
    t.is(err.message, 'local address 192.0.2.10 is not configured on this host (EADDRNOTAVAIL)');
  }
});

test('a local address of the other family is refused before any socket is made', async (t) => {
  const err = await dialFails({ host: '127.0.0.1', port: 22002, localAddress: '::1', timeoutMs: 1000 });
  t.is(err.kind, 'error');
  t.is(err.message, 'local address ::1 is IPv6 but peer 127.0.0.1 is IPv4');
});

test('a peer that is not an IP literal is refused rather than resolved', async (t) => {
  const err = await dialFails({ host: 'localhost', port: 22003, timeoutMs: 1000 });
  t.is(err.message, 'peer address "localhost" is not an IP address');
});

test('a key longer than 80 bytes is refused without being echoed', async (t) => {
  const key = 'topsecret'.repeat(9) + 'x';
  const err = await dialFails({ host: '127.0.0.1', port: 22004, md5Key: key, timeoutMs: 1000 });
  t.is(err.kind, 'error');
  t.is(err.message, 'TCP MD5 key for 127.0.0.1 is 82 bytes long; RFC 2385 allows at most 80');
});

linux('the connection leaves from the configured local address', async (t) => {
  const seen: string[] = [];
  const server = net.createServer((s) => {
    seen.push(s.remoteAddress ?? '');
    s.destroy();
  });
  t.teardown(() => void server.close());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;

  const keyless = await dial({ host: '127.0.0.1', port, localAddress: '127.0.0.2', timeoutMs: 3000 });
  t.teardown(() => keyless.destroy());
  t.is(keyless.localAddress, '127.0.0.2');
  const withTtl = await dial({ host: '127.0.0.1', port, localAddress: '127.0.0.4', ttl: 5, timeoutMs: 3000 });
  t.teardown(() => withTtl.destroy());
  await sleep(100);
  t.deepEqual(seen.sort(), ['127.0.0.2', '127.0.0.4']);
});

linux('IPv6 on ::1 works with a key', async (t) => {
  const listener = await openListener(t, '::1');
  listener.setPeer('::1', 'six');
  echoPeers(listener, t);
  const socket = await dial({ host: '::1', port: listener.address().port, md5Key: 'six', timeoutMs: 3000 });
  t.is(await exchange(t, socket, 'v6'), 'from ::1\nv6');
  const err = await dialFails({ host: '::1', port: listener.address().port, md5Key: 'not six', timeoutMs: 400 });
  t.is(err.kind, 'timeout');
  t.regex(err.message, /^no answer from \[::1\]:\d+ within 0\.4 s/);
});

test('IPv6 on ::1 works without a key', async (t) => {
  const listener = await openListener(t, '::1');
  listener.setPeer('0:0:0:0:0:0:0:1', undefined);
  echoPeers(listener, t);
  const socket = await dial({ host: '::1', port: listener.address().port, localAddress: '::1', timeoutMs: 3000 });
  t.is(await exchange(t, socket, 'plain v6'), 'from ::1\nplain v6');
});

linux('an IPv6 listener keys IPv4 peers through their v4-mapped form and reports them as IPv4', async (t) => {
  const listener = await openListener(t, '::ffff:127.0.0.1');
  listener.setPeer('127.0.0.2', 'mapped');
  echoPeers(listener, t);
  const socket = await dial({ host: '127.0.0.1', port: listener.address().port, localAddress: '127.0.0.2', md5Key: 'mapped', timeoutMs: 3000 });
  t.is(await exchange(t, socket, 'x'), 'from 127.0.0.2\nx');
});

test('the listener drops connections from undeclared addresses and accepts declared ones', async (t) => {
  const listener = await openListener(t);
  listener.setPeer('127.0.0.2', undefined);
  const accepted: string[] = [];
  const rejected: string[] = [];
  listener.on('connection', (socket, peer) => {
    accepted.push(peer);
    t.teardown(() => socket.destroy());
  });
  listener.on('rejected', (peer) => rejected.push(peer));
  const port = listener.address().port;

  const stranger = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.3' });
  t.teardown(() => stranger.destroy());
  await new Promise((resolve) => stranger.on('close', resolve).on('error', () => undefined));
  const friend = await dial({ host: '127.0.0.1', port, localAddress: '127.0.0.2', timeoutMs: 3000 });
  t.teardown(() => friend.destroy());
  await sleep(100);
  t.deepEqual(rejected, ['127.0.0.3']);
  t.deepEqual(accepted, ['127.0.0.2']);
  t.false(friend.destroyed);
});

test('a removed peer is dropped from then on', async (t) => {
  const listener = await openListener(t);
  listener.setPeer('127.0.0.5', undefined);
  const rejected: string[] = [];
  listener.on('connection', (socket) => t.teardown(() => socket.destroy()));
  listener.on('rejected', (peer) => rejected.push(peer));
  listener.removePeer('127.0.0.5');
  const socket = net.connect({ host: '127.0.0.1', port: listener.address().port, localAddress: '127.0.0.5' });
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.on('close', resolve).on('error', () => undefined));
  t.deepEqual(rejected, ['127.0.0.5']);
});

linux('a key changed with setPeer applies to the next connection', async (t) => {
  const listener = await openListener(t);
  echoPeers(listener, t);
  const port = listener.address().port;
  const from = { host: '127.0.0.1', port, localAddress: '127.0.0.6', timeoutMs: 3000 };

  listener.setPeer('127.0.0.6', 'first');
  const first = await dial({ ...from, md5Key: 'first' });
  t.is(await exchange(t, first, 'a'), 'from 127.0.0.6\na');

  listener.setPeer('127.0.0.6', 'second');
  t.is((await dialFails({ ...from, md5Key: 'first', timeoutMs: 400 })).kind, 'timeout');
  const second = await dial({ ...from, md5Key: 'second' });
  t.is(await exchange(t, second, 'b'), 'from 127.0.0.6\nb');
  t.false(first.destroyed, 'the connection made under the old key stays up');

  listener.setPeer('127.0.0.6', undefined);
  const unsigned = await dial(from);
  t.is(await exchange(t, unsigned, 'c'), 'from 127.0.0.6\nc');
});

linux('ttl and minTtl given to dial are set on the socket', async (t) => {
  const server = net.createServer((s) => s.resume());
  t.teardown(() => void server.close());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;

  const plain = await dial({ host: '127.0.0.1', port, timeoutMs: 3000 });
  t.teardown(() => plain.destroy());
  t.is(getTtl(fdOf(plain), 4), 64, 'the default, so the next check means something');

  const single = await dial({ host: '127.0.0.1', port, ttl: 1, timeoutMs: 3000 });
  t.teardown(() => single.destroy());
  t.is(getTtl(fdOf(single), 4), 1);

  // GTSM: loopback segments arrive with TTL 64, so require at most that.
  const gtsm = await dial({ host: '127.0.0.1', port, ttl: 255, minTtl: 64, timeoutMs: 3000 });
  t.teardown(() => gtsm.destroy());
  t.is(getTtl(fdOf(gtsm), 4), 255);
  t.is(getMinTtl(fdOf(gtsm), 4), 64);
});

linux('dial turns Nagle off on the connected socket', async (t) => {
  const server = net.createServer((s) => s.resume());
  t.teardown(() => void server.close());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const IPPROTO_TCP = 6;
  const TCP_NODELAY = 1;
  const raw = net.connect({ host: '127.0.0.1', port });
  t.teardown(() => raw.destroy());
  await new Promise((resolve) => raw.on('connect', resolve));
  t.is(getIntOption(fdOf(raw), IPPROTO_TCP, TCP_NODELAY), 0, 'Node leaves Nagle on by default');
  for (const opts of [{}, { md5Key: undefined, ttl: 64 }]) {
    const socket = await dial({ host: '127.0.0.1', port, timeoutMs: 3000, ...opts });
    t.teardown(() => socket.destroy());
    t.not(getIntOption(fdOf(socket), IPPROTO_TCP, TCP_NODELAY), 0);
  }
});

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

linuxSerial('fifty failed dials leave no file descriptor behind', async (t) => {
  const port = await closedPort();
  const listener = await openListener(t);
  listener.setPeer('127.0.0.1', 'right');
  const keyedPort = listener.address().port;
  await sleep(50);
  const before = openFds();
  const failures: Promise<DialError>[] = [];
  for (let i = 0; i < 50; i++) {
    switch (i % 5) {
      case 0: // refused, plain net
        failures.push(dialFails({ host: '127.0.0.1', port, timeoutMs: 3000 }));
        break;
      case 1: // refused, socket made through libc
        failures.push(dialFails({ host: '127.0.0.1', port, localAddress: '127.0.0.1', ttl: 3, timeoutMs: 3000 }));
        break;
      case 2: // bind fails after the key is set
        failures.push(dialFails({ host: '127.0.0.1', port, localAddress: '192.0.2.1', md5Key: 'k', timeoutMs: 3000 }));
        break;
      case 3: // wrong key: timeout
        failures.push(dialFails({ host: '127.0.0.1', port: keyedPort, md5Key: 'wrong', timeoutMs: 200 }));
        break;
      default: // bind fails on plain net
        failures.push(dialFails({ host: '127.0.0.1', port, localAddress: '192.0.2.1', timeoutMs: 3000 }));
    }
  }
  const kinds = (await Promise.all(failures)).map((e) => e.kind);
  t.is(kinds.filter((k) => k === 'refused').length, 20);
  t.is(kinds.filter((k) => k === 'timeout').length, 10);
  t.is(kinds.filter((k) => k === 'error').length, 20);
  await sleep(100);
  t.is(openFds(), before);
});

linux('aborting a dial that hangs on a key mismatch rejects at once with an AbortError', async (t) => {
  const listener = await openListener(t);
  listener.setPeer('127.0.0.1', 'right');
  const controller = new AbortController();
  const started = Date.now();
  const pending = dial({ host: '127.0.0.1', port: listener.address().port, md5Key: 'wrong', timeoutMs: 10_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 150);
  const err = await t.throwsAsync(pending, { name: 'AbortError' });
  t.regex(err.message, /connecting to 127\.0\.0\.1:\d+ was cancelled/);
  t.true(Date.now() - started < 3000);
});

test('a dial with an already aborted signal never connects', async (t) => {
  let connections = 0;
  const server = net.createServer((s) => {
    connections++;
    s.destroy();
  });
  t.teardown(() => void server.close());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const signal = AbortSignal.abort();
  await t.throwsAsync(dial({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, timeoutMs: 3000, signal }), { name: 'AbortError' });
  await sleep(100);
  t.is(connections, 0);
});

test('peer addresses are compared in the form the kernel reports them', (t) => {
  t.is(canonicalAddress('::ffff:10.0.0.1'), '10.0.0.1');
  t.is(canonicalAddress('::FFFF:10.0.0.1'), '10.0.0.1');
  t.is(canonicalAddress('fd00:0:0::0001'), 'fd00::1');
  t.is(canonicalAddress('10.0.0.1'), '10.0.0.1');
});

test('Listener.close frees the port even while an accepted connection is open', async (t) => {
  const listener = await Listener.open({ address: '127.0.0.1', port: 0 });
  listener.setPeer('127.0.0.1', undefined);
  const port = listener.address().port;
  const accepted = new Promise<net.Socket>((resolve) => listener.on('connection', resolve));
  const client = await dial({ host: '127.0.0.1', port, timeoutMs: 3000 });
  t.teardown(() => client.destroy());
  const serverSide = await accepted;
  t.teardown(() => serverSide.destroy());
  await listener.close();
  const err = await dialFails({ host: '127.0.0.1', port, timeoutMs: 3000 });
  t.is(err.kind, 'refused');
  t.false(serverSide.destroyed);
});

linux('applyTtl sets TTL and minimum TTL on an accepted socket, IPv4-mapped ones included', async (t) => {
  for (const address of ['127.0.0.1', '::ffff:127.0.0.1', '::1']) {
    const listener = await openListener(t, address);
    const peer = address === '::1' ? '::1' : '127.0.0.1';
    listener.setPeer(peer, undefined);
    const accepted = new Promise<net.Socket>((resolve) => listener.on('connection', resolve));
    const client = await dial({ host: peer, port: listener.address().port, timeoutMs: 3000 });
    t.teardown(() => client.destroy());
    const socket = await accepted;
    t.teardown(() => socket.destroy());
    t.true(applyTtl(socket, { ttl: 1, minTtl: 64 }));
    const family = peer === '::1' ? 6 : 4;
    t.is(getTtl(fdOf(socket), family), 1, address);
    t.is(getMinTtl(fdOf(socket), family), 64, address);
  }
});

test('socket errors while connecting are explained in words', (t) => {
  const opts = { host: '172.16.0.1', port: 179, localAddress: '172.16.0.11', timeoutMs: 30_000 };
  const cases: [string, DialError['kind'], string][] = [
    ['EHOSTUNREACH', 'unreachable', 'no route to host 172.16.0.1 (EHOSTUNREACH: the peer does not answer ARP/ND or an ICMP host-unreachable came back)'],
    ['ENETUNREACH', 'unreachable', 'this host has no route to 172.16.0.1 (ENETUNREACH)'],
    ['EADDRNOTAVAIL', 'error', 'local address 172.16.0.11 is not configured on this host (EADDRNOTAVAIL)'],
    ['ETIMEDOUT', 'timeout', 'no answer from 172.16.0.1:179 within 30 s (peer unreachable or filtered?)'],
    ['ECONNREFUSED', 'refused', 'connection refused by 172.16.0.1:179 (is BGP running on the peer?)'],
    ['EPERM', 'error', 'connecting to 172.16.0.1:179 is not permitted here, probably a local firewall rule (EPERM)'],
  ];
  for (const [code, kind, message] of cases) {
    const err = explainConnectError(Object.assign(new Error(`connect ${code}`), { code }), opts);
    t.is(err.kind, kind, code);
    t.is(err.message, message);
    t.is(err.code, code);
  }
  const keyed = explainConnectError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), { ...opts, md5Key: 'k' });
  t.is(keyed.message, 'no answer from 172.16.0.1:179 within 30 s (TCP MD5 key mismatch or peer unreachable?)');
  const v6 = explainConnectError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), { host: 'fd00::1', port: 179, timeoutMs: 1000 });
  t.is(v6.message, 'connection refused by [fd00::1]:179 (is BGP running on the peer?)');
});

const unshareable = md5Supported() && process.getuid?.() === 0 && existsSync('/usr/bin/unshare') ? test : test.skip;

unshareable('in a network namespace without routes, dial reports the peer unreachable in words', async (t) => {
  // A fresh namespace (gone when the child exits) has no routes and lo down: nothing leaves the host.
  const script = `
    const { dial } = await import(${JSON.stringify(new URL('../../src/bgp/transport.ts', import.meta.url).pathname)});
    const out = [];
    for (const o of [{ host: '10.1.2.3', port: 179, timeoutMs: 3000 }, { host: '10.1.2.3', port: 179, md5Key: 'k', timeoutMs: 3000 }, { host: 'fd00::1', port: 179, timeoutMs: 3000 }]) {
      try { (await dial(o)).destroy(); out.push('connected'); } catch (e) { out.push({ kind: e.kind, code: e.code, message: e.message }); }
    }
    console.log(JSON.stringify(out));`;
  const { stdout } = await execFileP('/usr/bin/unshare', ['-n', process.execPath, '--import=tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
  t.deepEqual(JSON.parse(stdout), [
    { kind: 'unreachable', code: 'ENETUNREACH', message: 'this host has no route to 10.1.2.3 (ENETUNREACH)' },
    { kind: 'unreachable', code: 'ENETUNREACH', message: 'this host has no route to 10.1.2.3 (ENETUNREACH)' },
    { kind: 'unreachable', code: 'EADDRNOTAVAIL', message: 'this host has no IPv6 address to reach fd00::1 from (EADDRNOTAVAIL)' },
  ]);
});
