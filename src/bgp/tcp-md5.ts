// Socket options Node's `net` module cannot set: TCP MD5 signatures
// (RFC 2385, as BGP uses them per RFC 4271 §10 / RFC 5925 §1), the unicast TTL
// of outgoing segments (eBGP single-hop TTL 1, multihop) and the minimum TTL
// of incoming segments (GTSM, RFC 5082 §3). Linux only.
//
// Why an FFI and why koffi: the MD5 key has to be on the socket before the
// SYN leaves (the kernel signs every segment, the SYN included), and Node's
// net.Socket creates and connects its socket in one step with no hook in
// between. So we make the socket ourselves through libc (socket, setsockopt,
// bind), then hand the fd to net.Socket / net.Server, and libuv connects or
// listens on it as usual, without blocking the event loop. koffi ships
// prebuilt binaries inside its npm package, so `npm ci` needs no compiler in
// the image. It is loaded lazily: where koffi or Linux is missing the process
// still runs, only without MD5 and TTL (`md5Supported()` says which).
//
// Keys never appear in errors or logs: errors name the operation, the peer
// address and the errno.

import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { onFirstUse } from './lazy.js';

/** 4 for IPv4 (AF_INET), 6 for IPv6 (AF_INET6). */
export type IpFamily = 4 | 6;

// Linux ABI values (include/linux/socket.h, in.h, in6.h, tcp.h).
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_IPV6 = 41;
const IP_TTL = 2;
const IP_MINTTL = 21;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MINHOPCOUNT = 73;
const TCP_MD5SIG = 14;

/** RFC 2385 §4.5 / Linux TCP_MD5SIG_MAXKEYLEN: at most 80 bytes of key. */
export const MD5_MAX_KEY_BYTES = 80;

// struct tcp_md5sig (linux/tcp.h): sockaddr_storage tcpm_addr (128 bytes),
// u8 tcpm_flags, u8 tcpm_prefixlen, u16 tcpm_keylen, u32 tcpm_ifindex,
// u8 tcpm_key[80]. Integers in host order (little-endian on our targets).
const MD5SIG_SIZE = 216;
const MD5SIG_KEYLEN_OFFSET = 130;
const MD5SIG_KEY_OFFSET = 136;
const SOCKADDR_IN_SIZE = 16;
const SOCKADDR_IN6_SIZE = 28;

/** A failed system call, named by what we were doing; never carries a key. */
export class SocketOptionError extends Error {
  /** errno name, e.g. "EADDRNOTAVAIL". */
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;

  constructor(what: string, syscall: string, errno: number) {
    const code = errnoName(errno);
    super(`${what}: ${syscall} failed with ${code}`);
    this.name = 'SocketOptionError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

interface Libc {
  socket: (domain: number, type: number, protocol: number) => number;
  setsockopt: (fd: number, level: number, name: number, value: Buffer, len: number) => number;
  getsockopt: (fd: number, level: number, name: number, value: Buffer, len: Buffer) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  listen: (fd: number, backlog: number) => number;
  close: (fd: number) => number;
  ifNameToIndex: (name: string) => number;
  errno: () => number;
}

let libc: Libc | null | undefined;
const loadKoffi = onFirstUse<typeof import('koffi')>('koffi');

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== 'linux') return libc;
  try {
    const koffi = loadKoffi();
    const lib = koffi.load('libc.so.6');
    libc = {
      socket: lib.func('int socket(int, int, int)'),
      setsockopt: lib.func('int setsockopt(int, int, int, void *, uint32_t)'),
      getsockopt: lib.func('int getsockopt(int, int, int, void *, void *)'),
      bind: lib.func('int bind(int, void *, uint32_t)'),
      listen: lib.func('int listen(int, int)'),
      close: lib.func('int close(int)'),
      ifNameToIndex: lib.func('unsigned int if_nametoindex(const char *)'),
      errno: () => koffi.errno(),
    };
  } catch {
    libc = null;
  }
  return libc;
}

function need(): Libc {
  const c = loadLibc();
  if (c === null) throw new Error('TCP MD5 and TTL socket options are not supported here (needs Linux and the koffi package)');
  return c;
}

/** True when sockets can be made and keyed through libc (Linux with koffi). */
export function md5Supported(): boolean {
  return loadLibc() !== null;
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `errno ${errno}`;
  }
}

function check(c: Libc, rc: number, what: string, syscall: string): void {
  if (rc < 0) throw new SocketOptionError(what, syscall, c.errno());
}

/** The family of an IP literal; throws on anything else (host names included). */
export function familyOf(address: string): IpFamily {
  const v = net.isIP(address);
  if (v === 4 || v === 6) return v;
  throw new Error(`"${address}" is not an IP address`);
}

/**
 * A sockaddr_in / sockaddr_in6 for `address` on a socket of `family`. An IPv4
 * address on an IPv6 socket becomes ::ffff:a.b.c.d (the kernel compares
 * against the v4-mapped form there).
 */
export function encodeSockaddr(family: IpFamily, address: string, port: number): Buffer {
  const addrFamily = familyOf(address);
  if (family === 4) {
    if (addrFamily !== 4) throw new Error(`IPv6 address ${address} cannot be used on an IPv4 socket`);
    const b = Buffer.alloc(SOCKADDR_IN_SIZE);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    ipv4Bytes(address).copy(b, 4);
    return b;
  }
  // A link-local peer carries its interface: fe80::1%eth0 (scope id at offset 24).
  const [bare, zone] = address.split('%');
  const b = Buffer.alloc(SOCKADDR_IN6_SIZE);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  const bytes = addrFamily === 4 ? Buffer.concat([V4_MAPPED_PREFIX, ipv4Bytes(bare)]) : ipv6Bytes(bare);
  bytes.copy(b, 8);
  if (zone !== undefined) b.writeUInt32LE(scopeId(zone), 24);
  return b;
}

const V4_MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

function scopeId(zone: string): number {
  if (/^\d+$/.test(zone)) return Number(zone);
  const index = need().ifNameToIndex(zone);
  if (index === 0) throw new Error(`no network interface named "${zone}"`);
  return index;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map((p) => Number(p)));
}

function ipv6Bytes(address: string): Buffer {
  // Expand "::" and an embedded dotted quad into eight 16-bit groups.
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[1]);
    text = text.slice(0, dotted.index) + `${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill('0'), ...tailGroups];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** A non-blocking, close-on-exec TCP socket of `family`; returns its fd. */
export function createStreamSocket(family: IpFamily): number {
  const c = need();
  const fd = c.socket(family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  check(c, fd, `creating an IPv${family} TCP socket`, 'socket');
  return fd;
}

/**
 * Sets (or, with `key` undefined, removes) the RFC 2385 key for segments
 * to and from `peerAddress` on `fd`, a socket of `family`. A key set on a
 * listening socket is inherited by the connections it accepts.
 */
export function setMd5Key(fd: number, family: IpFamily, peerAddress: string, key: string | undefined): void {
  const c = need();
  const keyBytes = key === undefined ? Buffer.alloc(0) : Buffer.from(key, 'utf8');
  if (key !== undefined && keyBytes.length === 0) throw new Error(`TCP MD5 key for ${peerAddress} is empty`);
  if (keyBytes.length > MD5_MAX_KEY_BYTES) {
    throw new Error(`TCP MD5 key for ${peerAddress} is ${keyBytes.length} bytes long; RFC 2385 allows at most ${MD5_MAX_KEY_BYTES}`);
  }
  const sig = Buffer.alloc(MD5SIG_SIZE);
  encodeSockaddr(family, peerAddress, 0).copy(sig, 0);
  sig.writeUInt16LE(keyBytes.length, MD5SIG_KEYLEN_OFFSET);
  keyBytes.copy(sig, MD5SIG_KEY_OFFSET);
  const rc = c.setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig, MD5SIG_SIZE);
  const errno = rc < 0 ? c.errno() : 0;
  sig.fill(0);
  keyBytes.fill(0);
  if (rc < 0) {
    // Removing a key that is not there is what the caller wanted anyway.
    if (key === undefined && errnoName(errno) === 'ENOENT') return;
    const what = key === undefined ? `removing the TCP MD5 key for ${peerAddress}` : `setting the TCP MD5 key for ${peerAddress}`;
    throw new SocketOptionError(what, 'setsockopt(TCP_MD5SIG)', errno);
  }
}

function setInt(fd: number, level: number, name: number, value: number, what: string, optName: string): void {
  const c = need();
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  check(c, c.setsockopt(fd, level, name, b, 4), what, `setsockopt(${optName})`);
}

/** Reads an int socket option; exposed for tests and diagnostics. */
export function getIntOption(fd: number, level: number, name: number): number {
  const c = need();
  const b = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(4, 0);
  check(c, c.getsockopt(fd, level, name, b, len), `reading socket option ${level}/${name}`, 'getsockopt');
  return b.readInt32LE(0);
}

function checkTtl(ttl: number, what: string): void {
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new Error(`${what} must be an integer from 1 to 255, got ${ttl}`);
}

/** TTL (IPv4) / hop limit (IPv6) of segments we send: 1 for directly connected eBGP. */
export function setTtl(fd: number, family: IpFamily, ttl: number): void {
  checkTtl(ttl, 'TTL');
  if (family === 4) setInt(fd, IPPROTO_IP, IP_TTL, ttl, `setting TTL ${ttl}`, 'IP_TTL');
  else setInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, `setting hop limit ${ttl}`, 'IPV6_UNICAST_HOPS');
}

/** The TTL / hop limit set on `fd`. */
export function getTtl(fd: number, family: IpFamily): number {
  return family === 4 ? getIntOption(fd, IPPROTO_IP, IP_TTL) : getIntOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
}

/** GTSM (RFC 5082 §3): drop segments arriving with a TTL below `minTtl` (255 for a direct peer). */
export function setMinTtl(fd: number, family: IpFamily, minTtl: number): void {
  checkTtl(minTtl, 'minimum TTL');
  if (family === 4) setInt(fd, IPPROTO_IP, IP_MINTTL, minTtl, `setting minimum TTL ${minTtl}`, 'IP_MINTTL');
  else setInt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl, `setting minimum hop count ${minTtl}`, 'IPV6_MINHOPCOUNT');
}

/** The minimum TTL / hop count set on `fd` (0 when off). */
export function getMinTtl(fd: number, family: IpFamily): number {
  return family === 4 ? getIntOption(fd, IPPROTO_IP, IP_MINTTL) : getIntOption(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT);
}

/** SO_REUSEADDR, so a restarted speaker can listen on 179 while old connections linger in TIME_WAIT. */
export function setReuseAddr(fd: number): void {
  setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1, 'allowing address reuse', 'SO_REUSEADDR');
}

/** Binds `fd` to a local address; port 0 lets the kernel pick. */
export function bindAddress(fd: number, family: IpFamily, address: string, port = 0): void {
  const c = need();
  const sa = encodeSockaddr(family, address, port);
  check(c, c.bind(fd, sa, sa.length), `binding to local address ${address} port ${port}`, 'bind');
}

export function listenFd(fd: number, backlog = 511): void {
  const c = need();
  check(c, c.listen(fd, backlog), 'listening', 'listen');
}

/** Closes an fd that no net.Socket / net.Server owns yet. */
export function closeFd(fd: number): void {
  const c = need();
  check(c, c.close(fd), 'closing a socket', 'close');
}
