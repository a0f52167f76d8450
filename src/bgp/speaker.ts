// The speaker: all sessions of this process, by name, and an optional
// listener for peers that connect to us (RFC 4271 §8.2.1.1 passive side,
// §6.8 collisions). The caller pushes the whole desired set with sync();
// the speaker applies only the difference: new sessions start, removed ones
// stop with Cease/Peer De-configured, a change of anything the OPEN or the
// TCP connection depends on restarts just that session, and a change of
// routes goes out as UPDATEs on the running session.

import { EventEmitter } from 'node:events';
import type Logger from 'bunyan';
import { systemClock, type Clock } from './clock.js';
import { Session, type Dialer, type StopMode } from './session.js';
import { dial as tcpDial, Listener, canonicalAddress } from './transport.js';
import type { SessionEvent, SessionSpec, SessionStatus } from './types.js';

export interface SpeakerOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  /** Transport; default TCP with MD5 and TTL (transport.ts). Tests pass in-memory streams. */
  readonly dial?: Dialer;
  /** Accept connections from configured peers here (e.g. { address: '0.0.0.0', port: 179 }). */
  readonly listen?: { readonly address: string; readonly port: number };
  /**
   * RFC 4724 Restart State bit in the first OPEN of sessions created soon
   * after start-up (restartWindowMs): the process has just (re)started and
   * the peer may hold our routes as stale. Default true; harmless when the
   * peer holds nothing. A BGPPeer added later is not a restart.
   */
  readonly restarting?: boolean;
  /** How long after start-up new sessions count as restarted. Default 120 s. */
  readonly restartWindowMs?: number;
  readonly random?: () => number;
}

/** Fields whose change needs a new session: they go into the OPEN or the TCP connection. */
const SESSION_FIELDS = [
  'peerAddress',
  'peerPort',
  'localAddress',
  'localAs',
  'peerAs',
  'routerId',
  'holdTime',
  'keepaliveTime',
  'md5Key',
  'ebgpMultihop',
] as const;

function needsNewSession(a: SessionSpec, b: SessionSpec): boolean {
  for (const f of SESSION_FIELDS) if (a[f] !== b[f]) return true;
  const ga = a.gracefulRestart;
  const gb = b.gracefulRestart;
  if ((ga?.enabled ?? true) !== (gb?.enabled ?? true) || (ga?.restartTime ?? 600) !== (gb?.restartTime ?? 600)) return true;
  return (a.families ?? ['ipv4', 'ipv6']).join() !== (b.families ?? ['ipv4', 'ipv6']).join();
}

export interface Speaker {
  on(event: 'state', fn: (e: SessionEvent) => void): this;
  emit(event: 'state', e: SessionEvent): boolean;
}

export class Speaker extends EventEmitter {
  private readonly sessions = new Map<string, Session>();
  private readonly stopping = new Set<Promise<void>>();
  private listener: Listener | null = null;
  private readonly clock: Clock;
  private readonly dial: Dialer;
  private closed = false;
  private readonly createdAt: number;

  constructor(private readonly options: SpeakerOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.createdAt = this.clock.now();
    this.dial = options.dial ?? ((r) => tcpDial(r));
  }

  /** Opens the listener when one is configured. */
  async start(): Promise<void> {
    const l = this.options.listen;
    if (!l || this.listener) return;
    this.listener = await Listener.open(l);
    this.listener.on('connection', (socket, peerAddress) => {
      const session = this.sessionByAddress(peerAddress);
      if (!session) {
        socket.destroy();
        return;
      }
      session.accept(socket, { localAddress: socket.localAddress, remoteAddress: peerAddress });
    });
    this.listener.on('rejected', (peerAddress) => this.options.log.warn({ peerAddress }, 'connection from an unconfigured address refused'));
    this.listener.on('error', (err) => this.options.log.error({ err }, 'listener error'));
    for (const s of this.sessions.values()) this.listener.setPeer(s.spec.peerAddress, s.spec.md5Key);
  }

  /** The listener's address (its port when 0 was asked for). */
  listenAddress(): { address: string; port: number } | null {
    return this.listener?.address() ?? null;
  }

  /** Applies the whole desired set of sessions; only the difference changes anything. */
  sync(specs: readonly SessionSpec[]): void {
    if (this.closed) return;
    const wanted = new Map(specs.map((s) => [s.name, s]));
    for (const [name, session] of this.sessions) {
      if (!wanted.has(name)) {
        this.sessions.delete(name);
        this.forgetPeer(session.spec);
        this.track(session.stop('deconfigure'));
      }
    }
    for (const spec of wanted.values()) {
      const current = this.sessions.get(spec.name);
      if (!current) {
        this.launch(spec);
      } else if (needsNewSession(current.spec, spec)) {
        this.forgetPeer(current.spec);
        const next = this.create(spec);
        this.sessions.set(spec.name, next);
        const stopped = current.stop('reconfigure');
        this.track(stopped);
        void stopped.then(() => {
          if (!this.closed && this.sessions.get(spec.name) === next) this.begin(next);
        });
      } else {
        const routesChanged = current.spec.routes !== spec.routes;
        current.updateSoftSettings(spec);
        if (routesChanged) current.setRoutes(spec);
      }
    }
  }

  status(): SessionStatus[] {
    return [...this.sessions.values()].map((s) => s.status());
  }

  /**
   * Stops every session: 'graceful' (SIGTERM: the peer keeps our routes
   * for the restart time) or 'deconfigure' (the peer drops them now).
   */
  async stop(mode: Extract<StopMode, 'graceful' | 'deconfigure'> = 'graceful'): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()].map((s) => s.stop(mode));
    this.sessions.clear();
    await this.listener?.close();
    this.listener = null;
    await Promise.all([...all, ...this.stopping]);
  }

  private create(spec: SessionSpec): Session {
    return new Session({
      spec,
      log: this.options.log,
      clock: this.clock,
      dial: this.dial,
      restarting: (this.options.restarting ?? true) && this.clock.now() - this.createdAt < (this.options.restartWindowMs ?? 120_000),
      random: this.options.random,
      onEvent: (e) => this.emit('state', e),
    });
  }

  private launch(spec: SessionSpec): void {
    const session = this.create(spec);
    this.sessions.set(spec.name, session);
    this.begin(session);
  }

  private begin(session: Session): void {
    this.listener?.setPeer(session.spec.peerAddress, session.spec.md5Key);
    session.start();
  }

  private forgetPeer(spec: SessionSpec): void {
    this.listener?.removePeer(spec.peerAddress);
  }

  private track(p: Promise<void>): void {
    this.stopping.add(p);
    void p.finally(() => this.stopping.delete(p));
  }

  private sessionByAddress(address: string): Session | undefined {
    const want = canonicalAddress(address);
    for (const s of this.sessions.values()) if (canonicalAddress(s.spec.peerAddress) === want) return s;
    return undefined;
  }
}
