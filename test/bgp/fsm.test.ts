// The RFC 4271 §8.2.2 FSM as a table: every state against every event, the
// next state and the actions that matter (NOTIFICATION code/subcode with
// RFC 6608 FSM error subcodes, connection drop, restart scheduling, timers).
// The table is the data of the tests; a missing (state, event) pair fails.

import test from 'ava';
import { LARGE_HOLD_TIME, step, type FsmAction, type FsmEvent, type FsmEventType, type FsmState } from '../../src/bgp/fsm.js';

type ActionType = FsmAction['type'];

/** One sample event of every type; the mapped type makes the compiler insist on all of them. */
const SAMPLE: { readonly [K in FsmEventType]: Extract<FsmEvent, { type: K }> } = {
  ManualStart: { type: 'ManualStart' },
  ManualStop: { type: 'ManualStop' },
  AutomaticStart: { type: 'AutomaticStart' },
  AutomaticStop: { type: 'AutomaticStop' },
  ConnectRetryTimer_Expires: { type: 'ConnectRetryTimer_Expires' },
  HoldTimer_Expires: { type: 'HoldTimer_Expires' },
  KeepaliveTimer_Expires: { type: 'KeepaliveTimer_Expires' },
  IdleHoldTimer_Expires: { type: 'IdleHoldTimer_Expires' },
  Tcp_CR_Acked: { type: 'Tcp_CR_Acked' },
  TcpConnectionConfirmed: { type: 'TcpConnectionConfirmed' },
  TcpConnectionFails: { type: 'TcpConnectionFails' },
  BGPOpen: { type: 'BGPOpen', holdTime: 90, keepaliveTime: 30 },
  BGPHeaderErr: { type: 'BGPHeaderErr', notification: { code: 1, subcode: 2, data: Uint8Array.of(0, 5) } },
  BGPOpenMsgErr: { type: 'BGPOpenMsgErr', notification: { code: 2, subcode: 2 } },
  OpenCollisionDump: { type: 'OpenCollisionDump' },
  NotifMsgVerErr: { type: 'NotifMsgVerErr' },
  NotifMsg: { type: 'NotifMsg' },
  KeepAliveMsg: { type: 'KeepAliveMsg' },
  UpdateMsg: { type: 'UpdateMsg' },
  UpdateMsgErr: { type: 'UpdateMsgErr', notification: { code: 3, subcode: 1 } },
};

const STATES: readonly FsmState[] = ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established'];
const EVENTS = Object.keys(SAMPLE) as FsmEventType[];

interface Row {
  readonly to: FsmState;
  /** The NOTIFICATION sent, [code, subcode]; null: none. */
  readonly notify: readonly [number, number] | null;
  /** No actions at all: the event is ignored. */
  readonly ignored?: boolean;
  /** ScheduleRestart (IdleHoldTimer, §8.1.1 damping) is among the actions. */
  readonly restart?: boolean;
  /** DropTcpConnection is among the actions (default: leaving a connected state for Idle). */
  readonly drop?: boolean;
  readonly also?: readonly ActionType[];
  readonly never?: readonly ActionType[];
  /** StartHoldTimer with these seconds. */
  readonly hold?: number;
  /** StartKeepaliveTimer with these seconds. */
  readonly keepalive?: number;
}

const IGNORED = (to: FsmState): Row => ({ to, notify: null, ignored: true });
/** An error without a NOTIFICATION: Idle, counter up, restart later. */
const FAIL: Row = { to: 'Idle', notify: null, restart: true, also: ['IncrementConnectRetryCounter', 'ReleaseResources'] };
const FAIL_WITH = (code: number, subcode: number): Row => ({ ...FAIL, notify: [code, subcode] });
/** RFC 4271 §8.2.2 Event 24 in OpenSent/OpenConfirm: Idle without counting against the peer. */
const VERSION_ERR: Row = { to: 'Idle', notify: null, restart: true, never: ['IncrementConnectRetryCounter'] };
/** ManualStop: Idle, counter reset, no restart. */
const MANUAL_STOP = (notify: readonly [number, number] | null): Row => ({
  to: 'Idle',
  notify,
  restart: false,
  also: ['ResetConnectRetryCounter', 'ReleaseResources', 'StopConnectRetryTimer'],
});

/** Connect and Active share §8.2.2 rules except ConnectRetryTimer_Expires. */
function unconnected(state: 'Connect' | 'Active'): Record<FsmEventType, Row> {
  return {
    ManualStart: IGNORED(state),
    AutomaticStart: IGNORED(state),
    // Deviation: the IdleHoldTimer only runs in Idle; a stray expiry is dropped rather than resetting.
    IdleHoldTimer_Expires: IGNORED(state),
    ManualStop: { ...MANUAL_STOP(null), drop: true },
    AutomaticStop: FAIL,
    ConnectRetryTimer_Expires:
      state === 'Connect'
        ? { to: 'Connect', notify: null, drop: true, also: ['InitiateTcpConnection'] }
        : { to: 'Connect', notify: null, drop: false, also: ['InitiateTcpConnection'] },
    // §8.2.2: TCP up -> send OPEN, hold timer "large value" (4 minutes), OpenSent.
    Tcp_CR_Acked: { to: 'OpenSent', notify: null, drop: false, also: ['StopConnectRetryTimer', 'SendOpen'], hold: LARGE_HOLD_TIME },
    TcpConnectionConfirmed: { to: 'OpenSent', notify: null, drop: false, also: ['StopConnectRetryTimer', 'SendOpen'], hold: LARGE_HOLD_TIME },
    TcpConnectionFails: FAIL,
    // §8.2.2 "In response to any other event (Events 8, 10-11, 13, 19, 23, 25-28)": Idle, counter up, no NOTIFICATION.
    HoldTimer_Expires: FAIL,
    KeepaliveTimer_Expires: FAIL,
    BGPOpen: FAIL,
    BGPHeaderErr: FAIL,
    BGPOpenMsgErr: FAIL,
    OpenCollisionDump: FAIL,
    NotifMsgVerErr: FAIL,
    NotifMsg: FAIL,
    KeepAliveMsg: FAIL,
    UpdateMsg: FAIL,
    UpdateMsgErr: FAIL,
  };
}

const TABLE: Record<FsmState, Record<FsmEventType, Row>> = {
  Idle: {
    ManualStart: { to: 'Connect', notify: null, drop: false, also: ['ResetConnectRetryCounter', 'InitiateTcpConnection'] },
    AutomaticStart: { to: 'Connect', notify: null, drop: false, also: ['InitiateTcpConnection'] },
    IdleHoldTimer_Expires: { to: 'Connect', notify: null, drop: false, also: ['InitiateTcpConnection'] },
    // §8.2.2: in Idle "any TCP connection attempts are denied".
    Tcp_CR_Acked: { to: 'Idle', notify: null, drop: true, never: ['SendOpen', 'ScheduleRestart'] },
    TcpConnectionConfirmed: { to: 'Idle', notify: null, drop: true, never: ['SendOpen', 'ScheduleRestart'] },
    // §8.2.2: "the other events ... are ignored" in Idle (ManualStop and AutomaticStop included).
    ManualStop: IGNORED('Idle'),
    AutomaticStop: IGNORED('Idle'),
    ConnectRetryTimer_Expires: IGNORED('Idle'),
    HoldTimer_Expires: IGNORED('Idle'),
    KeepaliveTimer_Expires: IGNORED('Idle'),
    TcpConnectionFails: IGNORED('Idle'),
    BGPOpen: IGNORED('Idle'),
    BGPHeaderErr: IGNORED('Idle'),
    BGPOpenMsgErr: IGNORED('Idle'),
    OpenCollisionDump: IGNORED('Idle'),
    NotifMsgVerErr: IGNORED('Idle'),
    NotifMsg: IGNORED('Idle'),
    KeepAliveMsg: IGNORED('Idle'),
    UpdateMsg: IGNORED('Idle'),
    UpdateMsgErr: IGNORED('Idle'),
  },
  Connect: unconnected('Connect'),
  Active: unconnected('Active'),
  OpenSent: {
    ManualStart: IGNORED('OpenSent'),
    AutomaticStart: IGNORED('OpenSent'),
    IdleHoldTimer_Expires: IGNORED('OpenSent'),
    // A second connection goes to collision detection (§6.8), handled by the session.
    Tcp_CR_Acked: IGNORED('OpenSent'),
    TcpConnectionConfirmed: IGNORED('OpenSent'),
    // §8.2.2 Event 2: Cease; RFC 4486 subcode 2 Administrative Shutdown.
    ManualStop: MANUAL_STOP([6, 2]),
    // §8.2.2 Event 8: Cease (RFC 4486 subcode 4 Administrative Reset: we start again).
    AutomaticStop: FAIL_WITH(6, 4),
    HoldTimer_Expires: FAIL_WITH(4, 0),
    // §8.2.2 Event 18 in OpenSent: close, restart ConnectRetryTimer, Active.
    TcpConnectionFails: { to: 'Active', notify: null, drop: true, restart: false, also: ['StartConnectRetryTimer', 'StopHoldTimer'] },
    BGPOpen: { to: 'OpenConfirm', notify: null, drop: false, also: ['SendKeepalive'], hold: 90, keepalive: 30 },
    // §6.1 / §6.2: the NOTIFICATION the checks produced.
    BGPHeaderErr: FAIL_WITH(1, 2),
    BGPOpenMsgErr: FAIL_WITH(2, 2),
    // §6.8: the losing connection closes with Cease / Connection Collision Resolution (RFC 4486 subcode 7).
    OpenCollisionDump: FAIL_WITH(6, 7),
    NotifMsgVerErr: VERSION_ERR,
    // A NOTIFICATION is not answered with one: the peer has already closed its side.
    NotifMsg: FAIL,
    // §8.2.2 Events 9, 11, 26-28: FSM Error, RFC 6608 subcode 1 (unexpected message in OpenSent).
    ConnectRetryTimer_Expires: FAIL_WITH(5, 1),
    KeepaliveTimer_Expires: FAIL_WITH(5, 1),
    KeepAliveMsg: FAIL_WITH(5, 1),
    UpdateMsg: FAIL_WITH(5, 1),
    UpdateMsgErr: FAIL_WITH(5, 1),
  },
  OpenConfirm: {
    ManualStart: IGNORED('OpenConfirm'),
    AutomaticStart: IGNORED('OpenConfirm'),
    IdleHoldTimer_Expires: IGNORED('OpenConfirm'),
    Tcp_CR_Acked: IGNORED('OpenConfirm'),
    TcpConnectionConfirmed: IGNORED('OpenConfirm'),
    ManualStop: MANUAL_STOP([6, 2]),
    AutomaticStop: FAIL_WITH(6, 4),
    HoldTimer_Expires: FAIL_WITH(4, 0),
    // §8.2.2 Event 11: send KEEPALIVE, restart the KeepaliveTimer, stay.
    KeepaliveTimer_Expires: { to: 'OpenConfirm', notify: null, drop: false, also: ['SendKeepalive', 'StartKeepaliveTimer'] },
    TcpConnectionFails: FAIL,
    NotifMsg: FAIL,
    NotifMsgVerErr: VERSION_ERR,
    BGPHeaderErr: FAIL_WITH(1, 2),
    BGPOpenMsgErr: FAIL_WITH(2, 2),
    OpenCollisionDump: FAIL_WITH(6, 7),
    // §8.2.2 Event 26: restart the HoldTimer, Established.
    KeepAliveMsg: { to: 'Established', notify: null, drop: false, also: ['RestartHoldTimer', 'SessionEstablished'] },
    // RFC 6608 subcode 2: unexpected message in OpenConfirm.
    ConnectRetryTimer_Expires: FAIL_WITH(5, 2),
    BGPOpen: FAIL_WITH(5, 2),
    UpdateMsg: FAIL_WITH(5, 2),
    UpdateMsgErr: FAIL_WITH(5, 2),
  },
  Established: {
    ManualStart: IGNORED('Established'),
    AutomaticStart: IGNORED('Established'),
    IdleHoldTimer_Expires: IGNORED('Established'),
    Tcp_CR_Acked: IGNORED('Established'),
    TcpConnectionConfirmed: IGNORED('Established'),
    // No default NOTIFICATION: graceful restart closes without one (RFC 4724 §4); callers pass the Cease.
    ManualStop: MANUAL_STOP(null),
    AutomaticStop: FAIL_WITH(6, 4),
    HoldTimer_Expires: FAIL_WITH(4, 0),
    KeepaliveTimer_Expires: { to: 'Established', notify: null, drop: false, also: ['SendKeepalive', 'StartKeepaliveTimer'] },
    // §8.2.2 Events 26, 27: restart the HoldTimer.
    KeepAliveMsg: { to: 'Established', notify: null, drop: false, also: ['RestartHoldTimer'] },
    UpdateMsg: { to: 'Established', notify: null, drop: false, also: ['RestartHoldTimer'] },
    // §8.2.2 Event 28: NOTIFICATION Update Message Error.
    UpdateMsgErr: FAIL_WITH(3, 1),
    BGPHeaderErr: FAIL_WITH(1, 2),
    BGPOpenMsgErr: FAIL_WITH(2, 2),
    TcpConnectionFails: FAIL,
    NotifMsg: FAIL,
    NotifMsgVerErr: FAIL,
    OpenCollisionDump: FAIL_WITH(6, 7),
    // RFC 6608 subcode 3: unexpected message in Established.
    BGPOpen: FAIL_WITH(5, 3),
    ConnectRetryTimer_Expires: FAIL_WITH(5, 3),
  },
};

const has = (actions: readonly FsmAction[], type: ActionType): boolean => actions.some((a) => a.type === type);

test('the table covers every state and every event type, and nothing else', (t) => {
  t.deepEqual(Object.keys(TABLE).sort(), [...STATES].sort());
  for (const state of STATES) {
    t.deepEqual(Object.keys(TABLE[state]).sort(), [...EVENTS].sort(), `events of ${state}`);
  }
  t.is(EVENTS.length, 20);
});

for (const state of STATES) {
  for (const event of EVENTS) {
    const row = TABLE[state][event];
    test(`in ${state}, ${event} leads to ${row.to}${row.notify ? ` with NOTIFICATION ${row.notify.join('/')}` : ''}`, (t) => {
      const { state: next, actions } = step(state, SAMPLE[event]);
      t.is(next, row.to);
      if (row.ignored) {
        t.deepEqual(actions, [], 'an ignored event does nothing');
        return;
      }
      const sent = actions.filter((a): a is Extract<FsmAction, { type: 'SendNotification' }> => a.type === 'SendNotification');
      if (row.notify === null) {
        t.deepEqual(sent, [], 'no NOTIFICATION');
      } else {
        t.is(sent.length, 1, 'exactly one NOTIFICATION');
        t.deepEqual([sent[0]!.notification.code, sent[0]!.notification.subcode], [...row.notify]);
        // The NOTIFICATION goes out before the connection is dropped (RFC 4271 §4.5: sent, then closed).
        const drop = actions.findIndex((a) => a.type === 'DropTcpConnection');
        if (drop >= 0) t.true(actions.indexOf(sent[0]!) < drop, 'NOTIFICATION before the drop');
      }
      const expectDrop = row.drop ?? (row.to === 'Idle' && state !== 'Idle');
      t.is(has(actions, 'DropTcpConnection'), expectDrop, 'DropTcpConnection');
      t.is(has(actions, 'ScheduleRestart'), row.restart ?? false, 'ScheduleRestart');
      for (const a of row.also ?? []) t.true(has(actions, a), `has ${a}`);
      for (const a of row.never ?? []) t.false(has(actions, a), `has no ${a}`);
      if (row.hold !== undefined) {
        t.deepEqual(actions.find((a) => a.type === 'StartHoldTimer'), { type: 'StartHoldTimer', seconds: row.hold });
      }
      if (row.keepalive !== undefined) {
        t.deepEqual(actions.find((a) => a.type === 'StartKeepaliveTimer'), { type: 'StartKeepaliveTimer', seconds: row.keepalive });
      }
      if (row.to === 'Idle' && state !== 'Idle') t.true(has(actions, 'ReleaseResources'), 'resources released');
      // Backoff grows from the counter, so the increment must precede the restart it delays.
      const inc = actions.findIndex((a) => a.type === 'IncrementConnectRetryCounter');
      const restart = actions.findIndex((a) => a.type === 'ScheduleRestart');
      if (inc >= 0 && restart >= 0) t.true(inc < restart, 'counter incremented before the restart is scheduled');
    });
  }
}

test('a ManualStop carrying a NOTIFICATION sends exactly that one in OpenSent, OpenConfirm and Established', (t) => {
  const notification = { code: 6, subcode: 9, data: Uint8Array.of(6, 3) };
  for (const state of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    const { state: next, actions } = step(state, { type: 'ManualStop', notification });
    t.is(next, 'Idle');
    const sent = actions.filter((a) => a.type === 'SendNotification');
    t.deepEqual(sent, [{ type: 'SendNotification', notification }], state);
    t.false(has(actions, 'ScheduleRestart'), `${state}: no restart after ManualStop`);
  }
});

test('an AutomaticStop carrying a NOTIFICATION (max prefixes) sends it and schedules a restart', (t) => {
  const notification = { code: 6, subcode: 1, data: Uint8Array.of(0, 1, 1, 0, 0, 0, 10) };
  const { state, actions } = step('Established', { type: 'AutomaticStop', notification });
  t.is(state, 'Idle');
  t.deepEqual(actions.filter((a) => a.type === 'SendNotification'), [{ type: 'SendNotification', notification }]);
  t.true(has(actions, 'ScheduleRestart'));
});

test('an OPEN negotiating hold time 0 starts neither the hold timer nor keepalives', (t) => {
  const { state, actions } = step('OpenSent', { type: 'BGPOpen', holdTime: 0, keepaliveTime: 0 });
  t.is(state, 'OpenConfirm');
  t.deepEqual(actions.find((a) => a.type === 'StartHoldTimer'), { type: 'StartHoldTimer', seconds: 0 });
  t.deepEqual(actions.find((a) => a.type === 'StartKeepaliveTimer'), { type: 'StartKeepaliveTimer', seconds: 0 });
});

test('the header and UPDATE errors carry their data through to the NOTIFICATION', (t) => {
  const data = Uint8Array.of(0, 5);
  for (const state of ['OpenSent', 'OpenConfirm', 'Established'] as const) {
    const { actions } = step(state, { type: 'BGPHeaderErr', notification: { code: 1, subcode: 2, data } });
    const sent = actions.find((a) => a.type === 'SendNotification');
    t.deepEqual(sent, { type: 'SendNotification', notification: { code: 1, subcode: 2, data } }, state);
  }
});
