// TCP for BGP (RFC 4271 §2: BGP runs over TCP, port 179): dial
// out with an optional TCP MD5 key (RFC 2385), TTL (eBGP single hop / multihop)
// and minimum TTL (GTSM, RFC 5082), from a chosen source address; and a
// Listener that accepts connections only from declared peers, keyed per peer
// on the listening socket. Sockets that need options are made through
// tcp-md5.ts and handed to Node's net module; the rest is plain `net`.
//
// Failures come back as DialError with the cause in words, fit for an Event.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  bindAddress,
  closeFd,
  createStreamSocket,
  familyOf,
  type IpFamily,
  MD5_MAX_KEY_BYTES,
  md5Supported,
  setMd5Key,
  setMinTtl,
  setReuseAddr,
  setTtl,
  SocketOptionError,
} from './tcp-md5.js';

export type DialErrorKind = 'refused' | 'timeout' | 'unreachable' | 'error';

/** Why a dial failed; `message` is written for an operator and never contains the key. */
export class DialError extends Error {
  readonly kind: DialErrorKind;
  /** errno name when the kernel gave one, e.g. "ECONNREFUSED". */
  readonly code?: string;

  constructor(kind: DialErrorKind, message: string, code?: string) {
    super(message);
    this.name = 'DialError';
    this.kind = kind;
    if (code !== undefined) this.code = code;
  }
}

export interface DialOptions {
  /** The peer, an IP literal (IPv6 link-local may carry %interface). */
  host: string;
  port: number;
  /** Source address of the connection; must be configured on this host. */
  localAddress?: string;
  /** RFC 2385 key, at most 80 bytes. */
  md5Key?: string;
  /** TTL / hop limit of our segments: 1 for directly connected eBGP. */
  ttl?: number;
  /** GTSM (RFC 5082): drop segments from the peer arriving with a lower TTL. */
  minTtl?: number;
  /** Give up after this long without an answer. */
  timeoutMs: number;
  /** Aborting destroys the socket and rejects with an Error named "AbortError". */
  signal?: AbortSignal;
}

/** "172.16.0.1:179" or "[fd00::1]:179". */
function endpoint(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(1))} s`;
}

function abortError(target: string, signal: AbortSignal): Error {
  const e = new Error(`connecting to ${target} was cancelled`, { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

function timeoutError(opts: DialOptions): DialError {
  const hint = opts.md5Key !== undefined ? 'TCP MD5 key mismatch or peer unreachable?' : 'peer unreachable or filtered?';
  return new DialError('timeout', `no answer from ${endpoint(opts.host, opts.port)} within ${seconds(opts.timeoutMs)} (${hint})`, 'ETIMEDOUT');
}

/** A socket error while connecting, explained in words (exported for tests). */
export function explainConnectError(err: NodeJS.ErrnoException, opts: DialOptions): DialError {
  const target = endpoint(opts.host, opts.port);
  const code = err.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return new DialError('refused', `connection refused by ${target} (is BGP running on the peer?)`, code);
    case 'ETIMEDOUT':
      return timeoutError(opts);
    case 'EHOSTUNREACH':
      return new DialError('unreachable', `no route to host ${opts.host} (EHOSTUNREACH: the peer does not answer ARP/ND or an ICMP host-unreachable came back)`, code);
    case 'ENETUNREACH':
      return new DialError('unreachable', `this host has no route to ${opts.host} (ENETUNREACH)`, code);
    case 'EADDRNOTAVAIL':
      return opts.localAddress !== undefined
        ? new DialError('error', `local address ${opts.localAddress} is not configured on this host (EADDRNOTAVAIL)`, code)
        : new DialError('unreachable', `this host has no IPv${net.isIP(opts.host)} address to reach ${opts.host} from (EADDRNOTAVAIL)`, code);
    case 'EADDRINUSE':
      return new DialError('error', `local address ${opts.localAddress ?? ''} has no free port to connect from (EADDRINUSE)`, code);
    case 'ECONNRESET':
      return new DialError('refused', `connection to ${target} was reset while connecting`, code);
    case 'EACCES':
    case 'EPERM':
      return new DialError('error', `connecting to ${target} is not permitted here, probably a local firewall rule (${code})`, code);
    default:
      return new DialError('error', `cannot connect to ${target}: ${err.message}`, code || undefined);
  }
}

/**
 * Makes a socket with the options `opts` asks for, before any SYN leaves.
 * Returns null when plain net.connect can do the job. Closes the fd itself on
 * failure.
 */
function prepareSocket(opts: DialOptions, family: IpFamily): net.Socket | null {
  const needsOptions = opts.md5Key !== undefined || opts.ttl !== undefined || opts.minTtl !== undefined;
  if (!needsOptions && (opts.localAddress === undefined || !md5Supported())) return null;
  if (!md5Supported()) {
    if (opts.md5Key !== undefined) {
      throw new DialError('error', `TCP MD5 is not available on this host (needs Linux and the koffi package); not connecting to ${endpoint(opts.host, opts.port)} without the password`);
    }
    // TTL and GTSM are hardening; without libc access we connect with the defaults.
    return null;
  }
  const fd = createStreamSocket(family);
  try {
    if (opts.md5Key !== undefined) setMd5Key(fd, family, opts.host, opts.md5Key);
    if (opts.ttl !== undefined) setTtl(fd, family, opts.ttl);
    if (opts.minTtl !== undefined) setMinTtl(fd, family, opts.minTtl);
    if (opts.localAddress !== undefined) bindAddress(fd, family, opts.localAddress, 0);
    // From here on the net.Socket owns the fd and closes it when destroyed.
    return new net.Socket({ fd, readable: true, writable: true });
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

function validate(opts: DialOptions): IpFamily {
  let family: IpFamily;
  try {
    family = familyOf(opts.host);
  } catch {
    throw new DialError('error', `peer address "${opts.host}" is not an IP address`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
    throw new DialError('error', `peer port ${opts.port} is not a TCP port`);
  }
  if (opts.localAddress !== undefined) {
    const localFamily = net.isIP(opts.localAddress);
    if (localFamily === 0) throw new DialError('error', `local address "${opts.localAddress}" is not an IP address`);
    if (localFamily !== family) {
      throw new DialError('error', `local address ${opts.localAddress} is IPv${localFamily} but peer ${opts.host} is IPv${family}`);
    }
  }
  if (opts.md5Key !== undefined) {
    const bytes = Buffer.byteLength(opts.md5Key, 'utf8');
    if (bytes === 0) throw new DialError('error', `TCP MD5 key for ${opts.host} is empty`);
    if (bytes > MD5_MAX_KEY_BYTES) {
      throw new DialError('error', `TCP MD5 key for ${opts.host} is ${bytes} bytes long; RFC 2385 allows at most ${MD5_MAX_KEY_BYTES}`);
    }
  }
  return family;
}

function setupError(e: unknown, opts: DialOptions): DialError {
  if (e instanceof DialError) return e;
  if (e instanceof SocketOptionError) {
    if (e.syscall === 'bind') return explainConnectError(Object.assign(new Error(e.message), { code: e.code }), opts);
    return new DialError('error', `cannot connect to ${endpoint(opts.host, opts.port)}: ${e.message}`, e.code);
  }
  return new DialError('error', `cannot connect to ${endpoint(opts.host, opts.port)}: ${(e as Error).message}`);
}

/**
 * Opens a TCP connection to a BGP peer. Resolves with the connected socket
 * (Nagle off: BGP messages are small and KEEPALIVEs are timely); rejects with
 * a DialError, or an AbortError when `signal` aborts. The socket is destroyed
 * on every failure.
 */
export function dial(opts: DialOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const target = endpoint(opts.host, opts.port);
    if (opts.signal?.aborted) {
      reject(abortError(target, opts.signal));
      return;
    }
    let socket: net.Socket;
    try {
      const family = validate(opts);
      const prepared = prepareSocket(opts, family);
      if (prepared !== null) {
        socket = prepared;
        socket.connect({ host: opts.host, port: opts.port });
      } else {
        socket = net.connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
      }
    } catch (e) {
      reject(setupError(e, opts));
      return;
    }

    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err !== null) {
        socket.destroy();
        reject(err);
        return;
      }
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onConnect = (): void => finish(null);
    const onError = (e: NodeJS.ErrnoException): void => finish(explainConnectError(e, opts));
    const onAbort = (): void => finish(abortError(target, opts.signal!));
    const timer = setTimeout(() => finish(timeoutError(opts)), opts.timeoutMs);
    socket.once('connect', onConnect);
    socket.on('error', onError);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Sets TTL and/or minimum TTL on a connected socket, e.g. one the Listener
 * accepted (dial sets them before the SYN). Returns false where the libc
 * layer is missing and nothing was set.
 */
export function applyTtl(socket: net.Socket, opts: { ttl?: number; minTtl?: number }): boolean {
  if (!md5Supported()) return false;
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const remote = socket.remoteAddress;
  if (fd === undefined || fd < 0 || remote === undefined) throw new Error('applyTtl needs a connected TCP socket');
  // The family of the traffic picks the option: an IPv4 peer on a dual-stack
  // listener sits on an IPv6 socket but its segments obey IP_TTL / IP_MINTTL.
  const family = familyOf(canonicalAddress(remote));
  if (opts.ttl !== undefined) setTtl(fd, family, opts.ttl);
  if (opts.minTtl !== undefined) setMinTtl(fd, family, opts.minTtl);
  return true;
}

/**
 * The canonical text of an address as the kernel reports it: IPv4-mapped
 * IPv6 (::ffff:a.b.c.d, seen on dual-stack listeners) becomes a.b.c.d; IPv6
 * is compressed the inet_ntop way.
 */
export function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const family = net.isIP(address);
  if (family === 6 && !address.includes('%')) return new net.SocketAddress({ address, family: 'ipv6' }).address;
  return address;
}

export interface ListenerOptions {
  /** "0.0.0.0", "::" (dual stack) or one local address. */
  address: string;
  /** 179 in production; 0 lets the kernel pick. */
  port: number;
}

export interface Listener {
  on(event: 'connection', fn: (socket: net.Socket, peerAddress: string) => void): this;
  on(event: 'rejected', fn: (peerAddress: string) => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  emit(event: 'connection', socket: net.Socket, peerAddress: string): boolean;
  emit(event: 'rejected', peerAddress: string): boolean;
  emit(event: 'error', err: Error): boolean;
}

/**
 * Accepts BGP connections from declared peers only: an address with no
 * configured session is refused, as BIRD, FRR and GoBGP do unless told to
 * accept dynamic neighbors. Each peer's MD5 key (RFC 2385) is set
 * on the listening socket, so the kernel checks it from the SYN on and the
 * accepted socket inherits it. Peers without a key connect unsigned.
 *
 * Events: 'connection' (socket, peerAddress) for a declared peer, whose
 * socket the listener of the event then owns; 'rejected' (peerAddress) for an
 * undeclared one, already destroyed; 'error' (err) when accepting fails.
 */
export class Listener extends EventEmitter {
  private readonly peers = new Map<string, string | undefined>();
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    /** The listening fd when we made it (keys can be set on it); null on plain net. */
    private readonly fd: number | null,
    private readonly family: IpFamily,
  ) {
    super();
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => this.emit('error', err));
  }

  static async open(opts: ListenerOptions): Promise<Listener> {
    const family = familyOf(opts.address);
    const server = net.createServer();
    let fd: number | null = null;
    if (md5Supported()) {
      fd = createStreamSocket(family);
      try {
        setReuseAddr(fd);
        bindAddress(fd, family, opts.address, opts.port);
      } catch (e) {
        closeFd(fd);
        throw e;
      }
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const onListening = (): void => {
        server.off('error', reject);
        resolve();
      };
      if (fd !== null) server.listen({ fd }, onListening);
      else server.listen({ host: opts.address, port: opts.port }, onListening);
    });
    return new Listener(server, fd, family);
  }

  /** The bound address and port (the kernel's choice when port was 0). */
  address(): { address: string; port: number } {
    const a = this.server.address() as net.AddressInfo;
    return { address: a.address, port: a.port };
  }

  /**
   * Declares an allowed peer and its key (undefined: no MD5). Called again,
   * changes or removes the key; connections already accepted keep theirs.
   */
  setPeer(address: string, md5Key: string | undefined): void {
    const peer = canonicalAddress(address);
    familyOf(peer);
    const previous = this.peers.get(peer);
    if (this.peers.has(peer) && previous === md5Key) return;
    if (md5Key !== undefined || previous !== undefined) this.applyKey(peer, md5Key);
    this.peers.set(peer, md5Key);
  }

  /** Forgets a peer: its key is removed and its connections are refused from now on. */
  removePeer(address: string): void {
    const peer = canonicalAddress(address);
    if (!this.peers.has(peer)) return;
    if (this.peers.get(peer) !== undefined) this.applyKey(peer, undefined);
    this.peers.delete(peer);
  }

  /** Stops accepting. Connections already handed out stay open. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    // server.close() closes the listening fd at once but calls back only when
    // every accepted connection has ended, and those belong to the sessions.
    this.server.close();
    return new Promise((resolve) => setImmediate(resolve));
  }

  private applyKey(peer: string, md5Key: string | undefined): void {
    if (this.fd === null) {
      if (md5Key === undefined) return;
      throw new Error(`TCP MD5 is not available on this host (needs Linux and the koffi package); cannot accept ${peer} with a password`);
    }
    // An IPv6 peer cannot reach an IPv4 listener; there is no key to set.
    if (this.family === 4 && familyOf(peer) === 6) return;
    setMd5Key(this.fd, this.family, peer, md5Key);
  }

  private accept(socket: net.Socket): void {
    const peer = socket.remoteAddress === undefined ? undefined : canonicalAddress(socket.remoteAddress);
    if (peer === undefined || !this.peers.has(peer) || this.listenerCount('connection') === 0) {
      socket.destroy();
      this.emit('rejected', peer ?? 'unknown');
      return;
    }
    socket.setNoDelay(true);
    this.emit('connection', socket, peer);
  }
}
