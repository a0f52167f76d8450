// One BGP peer: runs the RFC 4271 §8 FSM (fsm.ts) over a connection,
// owns its timers on the injected clock, its Adj-RIB-Out, and what it
// counts of the peer's routes. Also: connection collision detection
// (§6.8) when a listener hands us the peer's own connection, the
// restarting-speaker side of graceful restart (RFC 4724 §4.1, RFC 8538),
// ROUTE-REFRESH answers (RFC 2918 §4), max-prefix (RFC 4486 §4) and the
// RFC 7606 outcomes of received UPDATEs. Every exit from Established
// carries a typed reason (types.ts SessionReason).

import type { Duplex } from 'node:stream';
import type Logger from 'bunyan';
import type { Clock } from './clock.js';
import { Connection, type ConnectionHandlers } from './connection.js';
import { step, type FsmAction, type FsmEvent, type FsmState, type NotificationSpec } from './fsm.js';
import {
  buildOpen,
  familyOfAfi,
  negotiate,
  summarize,
  type LocalOpenParams,
  type Negotiated,
} from './negotiate.js';
import { backoffDelay, HoldTimer, Timer } from './timers.js';
import { ReceivedRoutes } from './received.js';
import { Candidate, keepExisting } from './collision.js';
import { maxPrefixNotification, stopNotification, type StopMode } from './stop-notice.js';
import { Advertiser } from './advertiser.js';
import type { SessionError, SessionEvent, SessionReason, SessionSpec, SessionState, SessionStatus } from './types.js';
import {
  CeaseSubcode,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  NotificationCode,
  OpenErrorSubcode,
} from './wire/constants.js';
import { BgpError } from './wire/errors.js';
import {
  decodeNotification,
  decodeOpen,
  decodeMessage,
  decodeUpdate,
  describeNotification,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  endOfRibFamily,
} from './wire/index.js';
import type { OpenMessage } from './wire/types.js';

export interface DialRequest {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly md5Key?: string;
  readonly ttl?: number;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** Opens the transport; rejects with an error carrying `kind` ('refused' | 'timeout' | ...) and words. */
export type Dialer = (request: DialRequest) => Promise<Duplex>;

export type { StopMode } from './stop-notice.js';

export interface SessionOptions {
  readonly spec: SessionSpec;
  readonly log: Logger;
  readonly clock: Clock;
  readonly dial: Dialer;
  /** RFC 4724 R bit in our first OPEN: this process has just (re)started. */
  readonly restarting: boolean;
  readonly onEvent: (event: SessionEvent) => void;
  readonly random?: () => number;
  readonly wallClock?: () => number;
}

const DEFAULTS = { port: 179, holdTime: 90, connectRetryTime: 120, connectTimeout: 30, restartTime: 600 };


export class Session {
  readonly spec: SessionSpec;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly random: () => number;
  private readonly local: LocalOpenParams;

  private fsmState: FsmState = 'Idle';
  private since: number;
  private conn: Connection | null = null;
  private candidate: Candidate | null = null;
  private dialAbort: AbortController | null = null;
  private negotiated: Negotiated | null = null;
  private peerRouterId: string | undefined;
  private lastError: SessionError | undefined;
  private pendingError: SessionError | undefined;
  private connectRetryCounter = 0;
  private establishedCount = 0;
  private restarting: boolean;
  private stopped = true;
  private closing: Promise<void> = Promise.resolve();

  private readonly connectRetryTimer: Timer;
  private readonly idleHoldTimer: Timer;
  private readonly holdTimer: HoldTimer;
  private readonly keepaliveTimer: Timer;
  private keepaliveSeconds = 0;

  private readonly advertiser: Advertiser;
  private readonly received = new ReceivedRoutes();

  constructor(private readonly options: SessionOptions) {
    this.spec = options.spec;
    this.clock = options.clock;
    this.wallClock = options.wallClock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.restarting = options.restarting;
    this.since = this.wallClock();
    this.log = options.log.child({ session: this.spec.name, peer: this.spec.peerAddress, peerAs: this.spec.peerAs });
    const gr = this.spec.gracefulRestart ?? { enabled: true, restartTime: DEFAULTS.restartTime };
    this.local = {
      localAs: this.spec.localAs,
      routerId: this.spec.routerId,
      holdTime: this.spec.holdTime ?? DEFAULTS.holdTime,
      families: this.spec.families ?? ['ipv4', 'ipv6'],
      gracefulRestart: gr,
      restarting: false,
    };
    this.connectRetryTimer = new Timer(this.clock, () => this.fire({ type: 'ConnectRetryTimer_Expires' }));
    this.idleHoldTimer = new Timer(this.clock, () => this.fire({ type: 'IdleHoldTimer_Expires' }));
    this.holdTimer = new HoldTimer(this.clock, () => {
      this.pendingError = this.error('HoldTimerExpired', `no message from ${this.spec.peerAddress} within the hold time of ${this.holdTimer.seconds} s`);
      this.fire({ type: 'HoldTimer_Expires' });
    });
    this.keepaliveTimer = new Timer(this.clock, () => this.fire({ type: 'KeepaliveTimer_Expires' }));
    this.advertiser = new Advertiser(this.spec, this.log);
    this.advertiser.setRoutes(this.spec.routes);
  }

  get state(): SessionState {
    return this.fsmState;
  }

  /** ManualStart (Event 1). */
  start(): void {
    this.stopped = false;
    this.fire({ type: 'ManualStart' });
  }

  /** Replaces the routes to advertise; only the difference goes on the wire. */
  setRoutes(spec: SessionSpec): void {
    (this as { spec: SessionSpec }).spec = spec;
    this.advertiser.setSpec(spec);
    this.advertiser.setRoutes(spec.routes);
  }

  /** Settings that can change without a new session. */
  updateSoftSettings(spec: SessionSpec): void {
    (this as { spec: SessionSpec }).spec = spec;
    this.advertiser.setSpec(spec);
  }

  /** Stops the session on purpose and resolves once the connection is closed. */
  stop(mode: StopMode): Promise<void> {
    this.stopped = true;
    const notification = stopNotification(mode, this.negotiated, this.fsmState === 'Established');
    const reason: SessionReason = mode === 'reconfigure' ? 'ConfigChanged' : 'AdminStop';
    const words = {
      graceful: 'speaker stopped (graceful restart: the peer keeps our routes as stale)',
      deconfigure: 'peer removed from the configuration',
      reconfigure: 'configuration changed; the session restarts',
    }[mode];
    this.pendingError = this.error(reason, words);
    this.dropCandidate(notification ?? { code: NotificationCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN });
    this.fire({ type: 'ManualStop', notification });
    this.idleHoldTimer.stop();
    this.connectRetryTimer.stop();
    return this.closing;
  }

  /** A connection from the peer, accepted by the speaker's listener. */
  accept(stream: Duplex, info: { localAddress?: string; remoteAddress?: string }): void {
    const adopt = (): void => {
      this.abortDial();
      this.attach(stream, { ...info, initiatedLocally: false });
      this.fire({ type: 'TcpConnectionConfirmed' });
    };
    switch (this.fsmState) {
      case 'Idle':
        if (this.stopped) {
          stream.destroy();
          return;
        }
        // Waiting out the backoff. RFC 4271 §8.2.2 would refuse the
        // connection in Idle; the peer is evidently up again, so start now
        // instead of making it wait for our next attempt.
        this.enterActive();
        adopt();
        return;
      case 'Connect':
      case 'Active':
        this.connectRetryTimer.stop();
        adopt();
        return;
      case 'OpenSent':
      case 'OpenConfirm':
        if (this.candidate) {
          stream.destroy();
          return;
        }
        this.startCandidate(stream, info);
        return;
      case 'Established':
        if (this.negotiated?.gracefulRestart.peer) {
          // RFC 4724 §4.2: a new connection while Established means the peer
          // restarted; the old connection is dead.
          this.pendingError = this.error('ConnectionClosed', `${this.spec.peerAddress} opened a new connection (peer restarted)`);
          this.fire({ type: 'TcpConnectionFails' });
          this.enterActive();
          adopt();
        } else {
          const c = new Connection(stream, { onFrame() {}, onHeaderError() {}, onClose() {}, onDrain() {} }, { initiatedLocally: false });
          c.send(encodeNotification(NotificationCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION));
          void c.close();
        }
        return;
    }
  }

  /** Idle -> Active outside the FSM table, for a peer connection we take at once. */
  private enterActive(): void {
    this.idleHoldTimer.stop();
    this.fsmState = 'Active';
    this.transition('Idle', 'Active');
  }

  status(): SessionStatus {
    return {
      name: this.spec.name,
      peerAddress: this.spec.peerAddress,
      peerPort: this.spec.peerPort ?? DEFAULTS.port,
      peerAs: this.spec.peerAs,
      localAs: this.spec.localAs,
      localAddress: this.conn?.info.localAddress ?? this.spec.localAddress,
      state: this.fsmState,
      since: this.since,
      peerRouterId: this.peerRouterId,
      negotiated: this.negotiated ? summarize(this.negotiated) : undefined,
      advertisedPrefixes: this.advertiser.advertisedCount,
      receivedPrefixes: this.received.count,
      lastError: this.lastError,
      establishedCount: this.establishedCount,
    };
  }

  // ---- FSM plumbing ----

  private fire(event: FsmEvent): void {
    const from = this.fsmState;
    const result = step(from, event);
    this.fsmState = result.state;
    for (const action of result.actions) this.perform(action);
    if (result.state !== from) this.transition(from, result.state);
    this.pendingError = undefined;
  }

  private transition(from: FsmState, to: FsmState): void {
    this.since = this.wallClock();
    const failed = to === 'Idle' || to === 'Active';
    const wasUp = from === 'OpenSent' || from === 'OpenConfirm' || from === 'Established' || from === 'Connect';
    let error: SessionError | undefined;
    if (failed && wasUp && this.pendingError) {
      error = this.pendingError;
      this.lastError = error;
    }
    if (to === 'Established') {
      this.log.info({ from, to, negotiated: this.negotiated && summarize(this.negotiated) }, 'session established');
    } else if (error) {
      // A stop we were asked for is news, not a warning.
      const deliberate = error.reason === 'AdminStop' || error.reason === 'ConfigChanged';
      this.log[deliberate ? 'info' : 'warn']({ from, to, reason: error.reason, cause: error.message }, 'session down');
    } else {
      this.log.debug({ from, to }, 'state change');
    }
    this.options.onEvent({ name: this.spec.name, from, to, error, status: this.status() });
  }

  private perform(action: FsmAction): void {
    switch (action.type) {
      case 'InitiateTcpConnection':
        this.dial();
        return;
      case 'DropTcpConnection':
        this.abortDial();
        if (this.conn) {
          const c = this.conn;
          this.conn = null;
          this.closing = c.close();
        }
        return;
      case 'SendOpen':
        this.conn?.send(encodeOpen(buildOpen({ ...this.local, restarting: this.restarting })));
        return;
      case 'SendKeepalive':
        this.conn?.send(encodeKeepalive());
        return;
      case 'SendNotification':
        this.sendNotification(action.notification);
        return;
      case 'StartConnectRetryTimer':
        this.connectRetryTimer.start(this.backoff());
        return;
      case 'StopConnectRetryTimer':
        this.connectRetryTimer.stop();
        return;
      case 'StartHoldTimer':
        this.holdTimer.start(action.seconds);
        return;
      case 'RestartHoldTimer':
        this.holdTimer.restart();
        return;
      case 'StopHoldTimer':
        this.holdTimer.stop();
        return;
      case 'StartKeepaliveTimer':
        if (action.seconds !== undefined) this.keepaliveSeconds = action.seconds;
        if (this.keepaliveSeconds > 0) this.keepaliveTimer.start(this.keepaliveSeconds * 1000);
        return;
      case 'StopKeepaliveTimer':
        this.keepaliveTimer.stop();
        return;
      case 'IncrementConnectRetryCounter':
        this.connectRetryCounter++;
        return;
      case 'ResetConnectRetryCounter':
        this.connectRetryCounter = 0;
        return;
      case 'ReleaseResources':
        this.release();
        return;
      case 'ScheduleRestart':
        if (!this.stopped) this.idleHoldTimer.start(this.backoff());
        return;
      case 'SessionEstablished':
        this.established();
        return;
    }
  }

  private backoff(): number {
    return backoffDelay(Math.max(0, this.connectRetryCounter - 1), {
      maxMs: (this.spec.connectRetryTime ?? DEFAULTS.connectRetryTime) * 1000,
      random: this.random,
    });
  }

  private release(): void {
    this.holdTimer.stop();
    this.keepaliveTimer.stop();
    this.keepaliveSeconds = 0;
    this.negotiated = null;
    this.advertiser.stop();
    this.received.clear();
  }

  private error(reason: SessionReason, message: string, notification?: SessionError['notification']): SessionError {
    return { reason, message, at: this.wallClock(), notification };
  }

  private sendNotification(n: NotificationSpec): void {
    const text = describeNotification(n.code, n.subcode, n.data);
    if (!this.pendingError || this.pendingError.reason === 'NotificationSent') {
      this.pendingError = this.error('NotificationSent', `sent NOTIFICATION ${text}`, { code: n.code, subcode: n.subcode, text });
    }
    this.conn?.send(encodeNotification(n.code, n.subcode, n.data));
  }



  // ---- transport ----

  private dial(): void {
    const abort = new AbortController();
    this.dialAbort = abort;
    const spec = this.spec;
    const port = spec.peerPort ?? DEFAULTS.port;
    const ebgp = spec.localAs !== spec.peerAs;
    const ttl = spec.ebgpMultihop ?? (ebgp ? 1 : 64);
    const timeoutMs = (spec.connectTimeout ?? DEFAULTS.connectTimeout) * 1000;
    this.options
      .dial({ host: spec.peerAddress, port, localAddress: spec.localAddress, md5Key: spec.md5Key, ttl, timeoutMs, signal: abort.signal })
      .then(
        (stream) => {
          if (this.dialAbort !== abort || abort.signal.aborted) {
            stream.destroy();
            return;
          }
          this.dialAbort = null;
          const s = stream as Duplex & { localAddress?: string; remoteAddress?: string };
          this.attach(stream, { initiatedLocally: true, localAddress: s.localAddress, remoteAddress: s.remoteAddress });
          this.fire({ type: 'Tcp_CR_Acked' });
        },
        (err: unknown) => {
          if (this.dialAbort !== abort || abort.signal.aborted) return;
          this.dialAbort = null;
          const kind = (err as { kind?: string }).kind;
          const reason: SessionReason = kind === 'refused' ? 'ConnectRefused' : kind === 'timeout' ? 'ConnectTimeout' : 'ConnectError';
          const message = err instanceof Error ? err.message : String(err);
          this.pendingError = this.error(reason, message);
          this.fire({ type: 'TcpConnectionFails' });
        },
      );
  }

  private abortDial(): void {
    this.dialAbort?.abort();
    this.dialAbort = null;
  }

  private attach(stream: Duplex, info: { initiatedLocally: boolean; localAddress?: string; remoteAddress?: string }): void {
    const holder: { conn?: Connection } = {};
    const conn = new Connection(stream, this.primaryHandlers(() => holder.conn), info);
    holder.conn = conn;
    this.conn = conn;
  }

  /** Handlers of the session's connection; `self` tells which connection they belong to. */
  private primaryHandlers(self: () => Connection | undefined): ConnectionHandlers {
    return {
      onFrame: (type, body) => {
        if (this.conn === self()) this.onMessage(type, body);
      },
      onHeaderError: (err) => {
        if (this.conn !== self()) return;
        this.pendingError = this.decodeError(err);
        this.fire({ type: 'BGPHeaderErr', notification: err });
      },
      onClose: (err) => {
        if (this.conn !== self()) return;
        this.conn = null;
        this.pendingError = err
          ? this.error('ConnectionError', `connection to ${this.spec.peerAddress} failed: ${err.message}`)
          : this.error('ConnectionClosed', `${this.spec.peerAddress} closed the connection without a NOTIFICATION`);
        this.fire({ type: 'TcpConnectionFails' });
      },
      onDrain: () => {
        if (this.conn === self()) this.advertiser.schedule();
      },
    };
  }

  private decodeError(err: BgpError): SessionError {
    const text = describeNotification(err.code, err.subcode, err.data);
    return this.error('NotificationSent', `sent NOTIFICATION ${text}: ${err.message}`, { code: err.code, subcode: err.subcode, text });
  }

  // ---- messages ----

  private onMessage(type: number, body: Uint8Array): void {
    switch (type) {
      case MessageType.OPEN:
        return this.onOpen(body);
      case MessageType.KEEPALIVE:
        return this.fire({ type: 'KeepAliveMsg' });
      case MessageType.UPDATE:
        return this.onUpdate(body);
      case MessageType.NOTIFICATION:
        return this.onNotification(body);
      case MessageType.ROUTE_REFRESH:
        return this.onRouteRefresh(body);
    }
  }

  private onOpen(body: Uint8Array): void {
    let open: OpenMessage;
    let negotiated: Negotiated;
    try {
      open = decodeOpen(body);
      negotiated = negotiate(this.local, this.spec.peerAs, open, this.spec.keepaliveTime);
    } catch (err) {
      if (!(err instanceof BgpError)) throw err;
      this.pendingError = this.decodeError(err);
      this.fire({ type: 'BGPOpenMsgErr', notification: err });
      return;
    }
    if (this.fsmState === 'OpenSent' && this.candidate && this.resolveCollision(open.bgpIdentifier, 'primary')) return;
    this.negotiated = negotiated;
    this.peerRouterId = open.bgpIdentifier;
    this.conn?.setMaxLength(negotiated.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH);
    this.fire({ type: 'BGPOpen', holdTime: negotiated.holdTime, keepaliveTime: negotiated.keepaliveTime });
  }

  private onNotification(body: Uint8Array): void {
    const n = decodeNotification(body);
    const text = describeNotification(n.code, n.subcode, n.data);
    this.pendingError = this.error('NotificationReceived', `received NOTIFICATION ${text}`, { code: n.code, subcode: n.subcode, text });
    const versionError = n.code === NotificationCode.OPEN_MESSAGE_ERROR && n.subcode === OpenErrorSubcode.UNSUPPORTED_VERSION_NUMBER;
    this.fire({ type: versionError ? 'NotifMsgVerErr' : 'NotifMsg' });
  }

  private onUpdate(body: Uint8Array): void {
    const n = this.negotiated;
    if (this.fsmState !== 'Established' || n === null) {
      this.fire({ type: 'UpdateMsg' }); // an FSM error outside Established (§8.2.2)
      return;
    }
    let update;
    try {
      update = decodeUpdate(body, n);
    } catch (err) {
      if (!(err instanceof BgpError)) throw err;
      this.pendingError = this.decodeError(err);
      this.fire({ type: 'UpdateMsgErr', notification: err });
      return;
    }
    const eor = endOfRibFamily(update);
    if (eor) {
      const family = familyOfAfi(eor.afi, eor.safi);
      this.received.endOfRib(family ?? `${eor.afi}/${eor.safi}`);
      this.log.debug({ afi: eor.afi, safi: eor.safi }, 'End-of-RIB received');
    } else {
      if (update.treatAsWithdraw) this.log.warn({ problem: update.treatAsWithdraw }, 'UPDATE treated as withdraw (RFC 7606)');
      if (update.discarded?.length) this.log.warn({ discarded: update.discarded }, 'attributes discarded (RFC 7606)');
      this.received.apply(update);
    }
    const max = this.spec.maxPrefixes;
    if (max !== undefined && this.received.count > max) {
      this.pendingError = this.error('MaxPrefixesExceeded', `${this.spec.peerAddress} sent ${this.received.count} prefixes, more than the limit of ${max}`);
      // RFC 4486 §4: AFI and SAFI of the family that went over, then the limit;
      // the count spans families, so name the one this UPDATE announced.
      const overflowing = update.nlri.length === 0 && update.mpReach ? update.mpReach : { afi: 1, safi: 1 };
      this.fire({ type: 'AutomaticStop', notification: maxPrefixNotification(overflowing.afi, overflowing.safi, max) });
      return;
    }
    this.fire({ type: 'UpdateMsg' });
  }

  private onRouteRefresh(body: Uint8Array): void {
    let refresh;
    try {
      const m = decodeMessage(MessageType.ROUTE_REFRESH, body, this.negotiated ?? { as4: false, extendedMessage: false });
      if (m.type !== 'route-refresh') return;
      refresh = m;
    } catch (err) {
      if (!(err instanceof BgpError)) throw err;
      this.pendingError = this.decodeError(err);
      this.fire({ type: 'UpdateMsgErr', notification: err });
      return;
    }
    if (this.fsmState !== 'Established') {
      this.fire({ type: 'UpdateMsg' });
      return;
    }
    const family = familyOfAfi(refresh.afi, refresh.safi);
    // RFC 2918 §4: a request for a family not negotiated is ignored.
    if (family && this.negotiated?.families.includes(family) && refresh.subtype === 0) {
      this.log.info({ family }, 'ROUTE-REFRESH received: sending the table again');
      this.advertiser.refresh(family);
    }
    this.fire({ type: 'UpdateMsg' });
  }

  // ---- Established: advertising ----

  private established(): void {
    this.establishedCount++;
    this.connectRetryCounter = 0;
    this.restarting = false; // later sessions of this process are not restarts (RFC 4724 §3)
    this.candidate && this.dropCandidate({ code: NotificationCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION });
    this.advertiser.start(this.conn!, this.negotiated!);
  }

  // ---- connection collision (RFC 4271 §6.8) ----

  private startCandidate(stream: Duplex, info: { localAddress?: string; remoteAddress?: string }): void {
    const ourOpen = encodeOpen(buildOpen({ ...this.local, restarting: this.restarting }));
    const candidate: Candidate = new Candidate(stream, info, this.clock, ourOpen, {
      check: (open) => void negotiate(this.local, this.spec.peerAs, open, this.spec.keepaliveTime),
      opened: (open, body) => {
        if (this.candidate === candidate) this.resolveCollision(open.bgpIdentifier, 'candidate', body);
      },
      gone: () => {
        if (this.candidate === candidate) this.candidate = null;
      },
    });
    this.candidate = candidate;
    this.log.info('connection collision: peer connected while ours is opening');
  }

  private dropCandidate(n: NotificationSpec): void {
    const c = this.candidate;
    this.candidate = null;
    c?.drop(n);
  }

  /**
   * Keeps the connection initiated by the speaker with the higher BGP
   * Identifier (§6.8). Returns true when the primary connection was replaced.
   */
  private resolveCollision(peerId: string, openedOn: 'primary' | 'candidate', candidateOpen?: Uint8Array): boolean {
    const primary = this.conn;
    const candidate = this.candidate;
    if (!candidate) return false;
    // RFC 4271 §6.8 compares two live connections; when ours already failed
    // (Active/Idle/Connect), the peer's connection is the only one left: keep it.
    const keepPrimary = keepExisting(this.spec.routerId, peerId, primary?.info ?? null);
    this.log.info({ peerId, keep: keepPrimary ? 'existing' : 'new' }, 'connection collision resolved');
    if (keepPrimary) {
      this.dropCandidate({ code: NotificationCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION });
      return false;
    }
    // The candidate wins: close ours with Cease/Connection Collision Resolution
    // and carry on in OpenSent on the peer's connection (we sent OPEN there already).
    this.candidate = null;
    const won = candidate.adopt();
    if (primary) {
      primary.send(encodeNotification(NotificationCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION));
      void primary.close();
    }
    // No redial while the peer's connection carries the session.
    this.abortDial();
    this.connectRetryTimer.stop();
    this.idleHoldTimer.stop();
    const from = this.fsmState;
    this.conn = null;
    this.holdTimer.stop();
    this.keepaliveTimer.stop();
    this.negotiated = null;
    this.fsmState = 'OpenSent';
    if (from !== 'OpenSent') this.transition(from, 'OpenSent');
    this.rehome(won);
    this.holdTimer.start(240);
    if (openedOn === 'candidate' && candidateOpen) this.onOpen(candidateOpen);
    return true;
  }

  /** Makes a candidate connection the session's connection. */
  private rehome(conn: Connection): void {
    conn.rebind(this.primaryHandlers(() => conn));
    this.conn = conn;
  }
}
