// The BGP finite state machine of RFC 4271 §8, as a pure function:
// step(state, event) -> { state, actions }. No sockets, no timers: the
// session (session.ts) performs the actions and feeds back the events.
//
// What this speaker does not use from §8.1 is left out rather than stubbed:
// DelayOpen (§8.1.1 option), passive TCP establishment on its own, and the
// TCP_CR_Invalid / TcpConnection_Valid pair (the listener filters peers).
// Damping of peer oscillations is kept in RFC form: after an error the FSM
// goes to Idle and asks for a restart (IdleHoldTimer, §8.1.1); the session
// picks the delay by jittered exponential backoff (timers.ts).
//
// One deliberate deviation: in OpenSent a TcpConnectionFails goes to Active
// with the ConnectRetryTimer running, as §8.2.2 says, and the ConnectRetryTimer
// there is the same backoff delay, so "Active" always reads as "not
// connected, will try again".

import { CeaseSubcode, FsmErrorSubcode, NotificationCode } from './wire/constants.js';

export type FsmState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export interface NotificationSpec {
  readonly code: number;
  readonly subcode: number;
  readonly data?: Uint8Array;
}

/** Events, named as RFC 4271 §8.1 numbers them (Event 1 ... Event 28). */
export type FsmEvent =
  | { readonly type: 'ManualStart' } // Event 1
  /** Event 2. `notification` absent: close TCP without a NOTIFICATION (graceful restart keeps routes). */
  | { readonly type: 'ManualStop'; readonly notification?: NotificationSpec }
  | { readonly type: 'AutomaticStart' } // Event 3
  /** Event 8: the session stops itself (max prefixes, configuration change) and will start again. */
  | { readonly type: 'AutomaticStop'; readonly notification?: NotificationSpec }
  | { readonly type: 'ConnectRetryTimer_Expires' } // Event 9
  | { readonly type: 'HoldTimer_Expires' } // Event 10
  | { readonly type: 'KeepaliveTimer_Expires' } // Event 11
  | { readonly type: 'IdleHoldTimer_Expires' } // Event 13
  | { readonly type: 'Tcp_CR_Acked' } // Event 16: our connect() completed
  | { readonly type: 'TcpConnectionConfirmed' } // Event 17: we accepted the peer's connection
  | { readonly type: 'TcpConnectionFails' } // Event 18
  /** Event 19: a valid OPEN; `holdTime` is the negotiated value (0 = no keepalives). */
  | { readonly type: 'BGPOpen'; readonly holdTime: number; readonly keepaliveTime: number }
  | { readonly type: 'BGPHeaderErr'; readonly notification: NotificationSpec } // Event 21
  | { readonly type: 'BGPOpenMsgErr'; readonly notification: NotificationSpec } // Event 22
  | { readonly type: 'OpenCollisionDump' } // Event 23
  | { readonly type: 'NotifMsgVerErr' } // Event 24
  | { readonly type: 'NotifMsg' } // Event 25
  | { readonly type: 'KeepAliveMsg' } // Event 26
  | { readonly type: 'UpdateMsg' } // Event 27 (ROUTE-REFRESH is fed as this too: it restarts the hold timer)
  | { readonly type: 'UpdateMsgErr'; readonly notification: NotificationSpec }; // Event 28

export type FsmEventType = FsmEvent['type'];

export type FsmAction =
  | { readonly type: 'InitiateTcpConnection' }
  | { readonly type: 'DropTcpConnection' }
  | { readonly type: 'SendOpen' }
  | { readonly type: 'SendKeepalive' }
  | { readonly type: 'SendNotification'; readonly notification: NotificationSpec }
  | { readonly type: 'StartConnectRetryTimer' }
  | { readonly type: 'StopConnectRetryTimer' }
  /** Start (or restart) the hold timer with this many seconds; 0 stops it. */
  | { readonly type: 'StartHoldTimer'; readonly seconds: number }
  /** Received KEEPALIVE or UPDATE: the hold timer starts over with its current value. */
  | { readonly type: 'RestartHoldTimer' }
  | { readonly type: 'StopHoldTimer' }
  /** Start the keepalive timer with this many seconds; 0 means no keepalives. */
  | { readonly type: 'StartKeepaliveTimer'; readonly seconds?: number }
  | { readonly type: 'StopKeepaliveTimer' }
  | { readonly type: 'IncrementConnectRetryCounter' }
  | { readonly type: 'ResetConnectRetryCounter' }
  /** Stop every timer and forget the connection's negotiated state. */
  | { readonly type: 'ReleaseResources' }
  /** Arm the IdleHoldTimer (backoff) so an AutomaticStart follows. */
  | { readonly type: 'ScheduleRestart' }
  /** The session entered Established: advertise the Adj-RIB-Out. */
  | { readonly type: 'SessionEstablished' };

export interface FsmResult {
  readonly state: FsmState;
  readonly actions: readonly FsmAction[];
}

/** RFC 4271 §8.2.2 suggests a large hold timer (4 minutes) while waiting for the OPEN. */
export const LARGE_HOLD_TIME = 240;

const cease = (subcode: number): NotificationSpec => ({ code: NotificationCode.CEASE, subcode });
const fsmError = (subcode: number): NotificationSpec => ({ code: NotificationCode.FSM_ERROR, subcode });
const HOLD_TIMER_EXPIRED: NotificationSpec = { code: NotificationCode.HOLD_TIMER_EXPIRED, subcode: 0 };

const send = (notification: NotificationSpec): FsmAction => ({ type: 'SendNotification', notification });

/** Tear-down after an error: the connection goes and a restart is scheduled (§8.2.2 "changes its state to Idle"). */
const failure = (notification?: NotificationSpec): FsmResult => ({
  state: 'Idle',
  actions: [
    ...(notification ? [send(notification)] : []),
    { type: 'StopConnectRetryTimer' },
    { type: 'DropTcpConnection' },
    { type: 'ReleaseResources' },
    { type: 'IncrementConnectRetryCounter' },
    { type: 'ScheduleRestart' },
  ],
});

/** Tear-down on ManualStop: no restart, counter reset (§8.2.2, Event 2 in every state). */
const manualStop = (notification?: NotificationSpec): FsmResult => ({
  state: 'Idle',
  actions: [
    ...(notification ? [send(notification)] : []),
    { type: 'StopConnectRetryTimer' },
    { type: 'DropTcpConnection' },
    { type: 'ReleaseResources' },
    { type: 'ResetConnectRetryCounter' },
  ],
});

const stay = (state: FsmState, ...actions: FsmAction[]): FsmResult => ({ state, actions });

const connected: FsmResult = {
  state: 'OpenSent',
  actions: [
    { type: 'StopConnectRetryTimer' },
    { type: 'SendOpen' },
    { type: 'StartHoldTimer', seconds: LARGE_HOLD_TIME },
  ],
};

function idle(event: FsmEvent): FsmResult {
  switch (event.type) {
    case 'ManualStart':
      return {
        state: 'Connect',
        actions: [{ type: 'ResetConnectRetryCounter' }, { type: 'InitiateTcpConnection' }],
      };
    case 'AutomaticStart':
    case 'IdleHoldTimer_Expires':
      return { state: 'Connect', actions: [{ type: 'InitiateTcpConnection' }] };
    case 'TcpConnectionConfirmed':
    case 'Tcp_CR_Acked':
      // §8.2.2: in Idle, incoming connections are refused.
      return stay('Idle', { type: 'DropTcpConnection' });
    default:
      // §8.2.2: every other event is ignored in Idle.
      return stay('Idle');
  }
}

function connectOrActive(state: 'Connect' | 'Active', event: FsmEvent): FsmResult {
  switch (event.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'IdleHoldTimer_Expires':
      return stay(state);
    case 'ManualStop':
      return manualStop();
    case 'AutomaticStop':
      return failure();
    case 'ConnectRetryTimer_Expires':
      // Connect: drop the attempt and dial again; Active: the wait is over, dial.
      return {
        state: 'Connect',
        actions: [
          ...(state === 'Connect' ? [{ type: 'DropTcpConnection' } as const] : []),
          { type: 'InitiateTcpConnection' },
        ],
      };
    case 'Tcp_CR_Acked':
    case 'TcpConnectionConfirmed':
      return connected;
    case 'TcpConnectionFails':
      return failure();
    default:
      // Hold/keepalive timers or messages without a connection: FSM error, Idle.
      return failure();
  }
}

/**
 * Events that OpenSent, OpenConfirm and Established handle alike (§8.2.2);
 * null for the events each state handles itself.
 */
function afterConnect(state: 'OpenSent' | 'OpenConfirm' | 'Established', event: FsmEvent): FsmResult | null {
  switch (event.type) {
    case 'ManualStart':
    case 'AutomaticStart':
    case 'IdleHoldTimer_Expires':
    case 'TcpConnectionConfirmed':
    case 'Tcp_CR_Acked':
      // A second connection is the session's business (collision detection, §6.8).
      return stay(state);
    case 'AutomaticStop':
      return failure(event.notification ?? cease(CeaseSubcode.ADMINISTRATIVE_RESET));
    case 'HoldTimer_Expires':
      return failure(HOLD_TIMER_EXPIRED);
    case 'BGPHeaderErr':
    case 'BGPOpenMsgErr':
      return failure(event.notification);
    case 'OpenCollisionDump':
      return failure(cease(CeaseSubcode.CONNECTION_COLLISION_RESOLUTION));
    default:
      return null;
  }
}

/** §8.2.2: a version-error NOTIFICATION does not count against the peer. */
const versionError: FsmResult = {
  state: 'Idle',
  actions: [{ type: 'DropTcpConnection' }, { type: 'ReleaseResources' }, { type: 'ScheduleRestart' }],
};

function openSent(event: FsmEvent): FsmResult {
  const common = afterConnect('OpenSent', event);
  if (common) return common;
  switch (event.type) {
    case 'ManualStop':
      return manualStop(event.notification ?? cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN));
    case 'TcpConnectionFails':
      // §8.2.2: close, restart the ConnectRetryTimer, listen: Active.
      return {
        state: 'Active',
        actions: [
          { type: 'DropTcpConnection' },
          { type: 'StopHoldTimer' },
          { type: 'IncrementConnectRetryCounter' },
          { type: 'StartConnectRetryTimer' },
        ],
      };
    case 'BGPOpen':
      return {
        state: 'OpenConfirm',
        actions: [
          { type: 'SendKeepalive' },
          { type: 'StartKeepaliveTimer', seconds: event.keepaliveTime },
          { type: 'StartHoldTimer', seconds: event.holdTime },
        ],
      };
    case 'NotifMsgVerErr':
      return versionError;
    case 'NotifMsg':
      return failure();
    default:
      // ConnectRetryTimer, KeepaliveTimer, KEEPALIVE, UPDATE, UpdateMsgErr: RFC 6608 subcode 1.
      return failure(fsmError(FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT));
  }
}

function openConfirm(event: FsmEvent): FsmResult {
  const common = afterConnect('OpenConfirm', event);
  if (common) return common;
  switch (event.type) {
    case 'ManualStop':
      return manualStop(event.notification ?? cease(CeaseSubcode.ADMINISTRATIVE_SHUTDOWN));
    case 'KeepaliveTimer_Expires':
      return stay('OpenConfirm', { type: 'SendKeepalive' }, { type: 'StartKeepaliveTimer' });
    case 'TcpConnectionFails':
    case 'NotifMsg':
      return failure();
    case 'NotifMsgVerErr':
      return versionError;
    case 'KeepAliveMsg':
      return {
        state: 'Established',
        actions: [{ type: 'RestartHoldTimer' }, { type: 'SessionEstablished' }],
      };
    default:
      // BGPOpen again, UPDATE, UpdateMsgErr, ConnectRetryTimer: RFC 6608 subcode 2.
      return failure(fsmError(FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_OPENCONFIRM));
  }
}

function established(event: FsmEvent): FsmResult {
  const common = afterConnect('Established', event);
  if (common) return common;
  switch (event.type) {
    case 'ManualStop':
      // No default NOTIFICATION here: the caller decides between a graceful
      // close (none, or RFC 8538 Cease) and a deliberate teardown.
      return manualStop(event.notification);
    case 'KeepaliveTimer_Expires':
      return stay('Established', { type: 'SendKeepalive' }, { type: 'StartKeepaliveTimer' });
    case 'KeepAliveMsg':
    case 'UpdateMsg':
      return stay('Established', { type: 'RestartHoldTimer' });
    case 'UpdateMsgErr':
      return failure(event.notification);
    case 'TcpConnectionFails':
    case 'NotifMsg':
    case 'NotifMsgVerErr':
      return failure();
    default:
      // BGPOpen, ConnectRetryTimer: RFC 6608 subcode 3.
      return failure(fsmError(FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_ESTABLISHED));
  }
}

/** RFC 4271 §8.2.2: the next state and what to do, for one event. */
export function step(state: FsmState, event: FsmEvent): FsmResult {
  switch (state) {
    case 'Idle':
      return idle(event);
    case 'Connect':
    case 'Active':
      return connectOrActive(state, event);
    case 'OpenSent':
      return openSent(event);
    case 'OpenConfirm':
      return openConfirm(event);
    case 'Established':
      return established(event);
  }
}
