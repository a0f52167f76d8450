// One TCP connection of the lab collector, from accept to close: the passive
// side of the RFC 4271 §8 FSM (OpenSent on accept, OpenConfirm after the
// peer's OPEN, Established on its KEEPALIVE), hold and keepalive timers
// (§4.4, §10), and the NOTIFICATION for every error (§6, RFC 6608 FSM
// subcodes). UPDATEs go to the collector's table.

import type net from 'node:net';
import type Logger from 'bunyan';
import { buildOpen, negotiate, type LocalOpenParams, type Negotiated } from '../bgp/negotiate.js';
import { HoldTimer, Timer } from '../bgp/timers.js';
import {
  BgpError,
  CapabilityCode,
  DEFAULT_CODEC_CONTEXT,
  FsmErrorSubcode,
  Framer,
  MAX_EXTENDED_MESSAGE_LENGTH,
  NotificationCode,
  decodeMessage,
  describeNotification,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  type BgpMessage,
  type Capability,
  type CodecContext,
  type OpenMessage,
} from '../bgp/wire/index.js';
import type { Collector, CollectorSession } from './collector.js';
import type { PeerState } from './collector-rib.js';

/** RFC 4271 §8.2.2: a large hold time while waiting for the OPEN (4 minutes suggested). */
const OPEN_HOLD_SECONDS = 240;
/** Our Restart Time (RFC 4724 §3): how long the peer should keep our (non-existent) routes. */
export const RESTART_TIME = 120;

export class PeerConnection {
  private readonly framer = new Framer();
  private readonly hold: HoldTimer;
  private readonly keepalive: Timer;
  private readonly log: Logger;
  private ctx: CodecContext = DEFAULT_CODEC_CONTEXT;
  negotiated: Negotiated | null = null;
  state: CollectorSession['state'] = 'Idle';
  closed = false;
  readonly done: Promise<void>;

  constructor(
    private readonly c: Collector,
    readonly peer: PeerState<PeerConnection>,
    readonly socket: net.Socket,
  ) {
    this.log = c.log.child({ peer: peer.address, peerAs: peer.as });
    this.hold = new HoldTimer(c.clock, () => this.fail(new BgpError(NotificationCode.HOLD_TIMER_EXPIRED, 0, undefined, 'hold timer expired')));
    this.keepalive = new Timer(c.clock, () => this.sendKeepalive());
    this.done = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => this.down(this.negotiated?.gracefulRestart.peer ? 'connection closed without NOTIFICATION' : 'connection closed', false));
  }

  /** RFC 4271 §8.2.2 passive side: on TcpConnectionConfirmed send OPEN and go to OpenSent. */
  start(): void {
    this.socket.write(encodeOpen(collectorOpen(this.c.localParams)));
    this.hold.start(OPEN_HOLD_SECONDS);
    this.setState('OpenSent');
  }

  private setState(state: CollectorSession['state']): void {
    this.state = state;
    this.peer.status.state = state;
    this.peer.status.since = this.c.clock.now();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.framer.push(chunk);
    try {
      for (let f = this.framer.next(); f !== null && !this.closed; f = this.framer.next()) {
        this.handle(decodeMessage(f.type, f.body, this.ctx));
      }
    } catch (e) {
      if (!(e instanceof BgpError)) throw e;
      this.fail(e);
    }
  }

  private handle(m: BgpMessage): void {
    this.hold.restart();
    switch (m.type) {
      case 'open':
        return this.onOpen(m);
      case 'keepalive':
        if (this.state === 'OpenSent') throw fsmError(this.state);
        if (this.state === 'OpenConfirm') this.established();
        return;
      case 'update':
        if (this.state !== 'Established') throw fsmError(this.state);
        return this.c.applyUpdate(this, m);
      case 'notification': {
        const text = describeNotification(m.code, m.subcode, m.data);
        this.log.info({ code: m.code, subcode: m.subcode }, 'notification received');
        this.down(`received NOTIFICATION: ${text}`, true);
        this.socket.destroy();
        return;
      }
      case 'route-refresh':
        // We advertise nothing, so there is nothing to resend (RFC 2918 §4).
        if (this.state !== 'Established') throw fsmError(this.state);
        return;
    }
  }

  private onOpen(open: OpenMessage): void {
    if (this.state !== 'OpenSent') throw fsmError(this.state);
    const n = negotiate(this.c.localParams, this.peer.as, open);
    this.negotiated = n;
    this.ctx = { as4: n.as4, extendedMessage: n.extendedMessage };
    if (n.extendedMessage) this.framer.setMaxLength(MAX_EXTENDED_MESSAGE_LENGTH);
    const s = this.peer.status;
    s.routerId = n.peerRouterId;
    s.capabilities = [...n.peerCapabilities];
    s.endOfRib = [];
    if (n.gracefulRestart.peer) {
      s.gracefulRestart = { restartTime: n.gracefulRestart.peerRestartTime, restarting: n.gracefulRestart.peerRestarting, forwarding: [...n.gracefulRestart.peerForwarding] };
    } else {
      delete s.gracefulRestart;
    }
    this.socket.write(encodeKeepalive());
    this.hold.start(n.holdTime);
    this.setState('OpenConfirm');
  }

  private established(): void {
    const n = this.negotiated!;
    this.setState('Established');
    delete this.peer.status.lastError;
    if (n.keepaliveTime > 0) this.keepalive.start(n.keepaliveTime * 1000);
    this.c.onEstablished(this);
    this.log.info({ holdTime: n.holdTime, families: n.families }, 'established');
  }

  private sendKeepalive(): void {
    if (this.closed) return;
    this.socket.write(encodeKeepalive());
    this.keepalive.start(this.negotiated!.keepaliveTime * 1000);
  }

  /** RFC 4271 §6: send the error as NOTIFICATION and close. */
  fail(e: BgpError): void {
    if (this.closed) return;
    this.log.warn({ code: e.code, subcode: e.subcode, err: e.message }, 'sending notification');
    this.notifyAndClose(e.code, e.subcode, e.data);
    this.down(`sent NOTIFICATION: ${describeNotification(e.code, e.subcode, e.data)} (${e.message})`, true);
  }

  notifyAndClose(code: number, subcode: number, data?: Uint8Array): void {
    if (this.socket.destroyed) return;
    // Once the NOTIFICATION is flushed to the kernel the socket can go; a peer
    // that never reads must not keep it open either (2 s at most).
    const fallback = this.c.clock.setTimeout(() => this.socket.destroy(), 2000);
    this.socket.once('close', () => fallback.cancel());
    this.socket.end(encodeNotification(code, subcode, data), () => this.socket.destroy());
  }

  /** The session ended: stop timers, keep or drop routes (RFC 4724 §4.2), tell the collector. */
  down(reason: string, notification: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.hold.stop();
    this.keepalive.stop();
    if (!notification) this.socket.destroy();
    const wasEstablished = this.state === 'Established';
    this.setState('Idle');
    this.peer.status.lastError = reason;
    this.peer.status.endOfRib = [];
    this.c.onDown(this, reason, wasEstablished, wasEstablished && !notification && (this.negotiated?.gracefulRestart.peer ?? false));
  }
}

function fsmError(state: CollectorSession['state']): BgpError {
  // RFC 6608 subcodes name the state the unexpected message arrived in.
  const subcode =
    state === 'OpenSent'
      ? FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT
      : state === 'OpenConfirm'
        ? FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM
        : FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED;
  return new BgpError(NotificationCode.FSM_ERROR, subcode, undefined, `unexpected message in ${state}`);
}

/**
 * Our OPEN: MP IPv4 and IPv6, route refresh, 4-octet AS, extended message,
 * and graceful restart as a receiver only (RFC 4724 §3: Restart Time 120,
 * no R bit, no N bit, no Forwarding State bits: we forward nothing).
 */
export function collectorOpen(p: LocalOpenParams): Omit<OpenMessage, 'type'> {
  const open = buildOpen(p);
  const capabilities = open.capabilities.map((c): Capability =>
    c.code === CapabilityCode.GRACEFUL_RESTART
      ? { ...c, restartState: false, notification: false, restartTime: RESTART_TIME, families: c.families.map((f) => ({ ...f, forwarding: false })) }
      : c,
  );
  return { ...open, capabilities };
}

