// Connection collision detection, RFC 4271 §6.8. When the peer connects to
// our listener while our own connection is in OpenSent or OpenConfirm, the
// peer's connection becomes a candidate: we send our OPEN on it and wait for
// the peer's. Once the peer's BGP Identifier is known, the connection
// initiated by the speaker with the higher identifier is kept and the other
// is closed with Cease / Connection Collision Resolution.

import type { Duplex } from 'node:stream';
import type { Clock } from './clock.js';
import { Connection, type ConnectionHandlers } from './connection.js';
import type { NotificationSpec } from './fsm.js';
import { compareBgpIdentifiers } from './negotiate.js';
import { Timer } from './timers.js';
import { FsmErrorSubcode, MessageType, NotificationCode } from './wire/constants.js';
import { BgpError } from './wire/errors.js';
import { decodeOpen, encodeNotification } from './wire/index.js';
import type { OpenMessage } from './wire/types.js';

/** RFC 4271 §8.2.2: the large hold time while waiting for an OPEN, seconds. */
const OPEN_WAIT_SECONDS = 240;

/**
 * True when the existing connection survives (§6.8): the kept connection is
 * the one initiated by the speaker with the higher BGP Identifier. With no
 * live existing connection the candidate is the only one left.
 */
export function keepExisting(localId: string, peerId: string, existing: { initiatedLocally: boolean } | null): boolean {
  if (existing === null) return false;
  const localWins = compareBgpIdentifiers(localId, peerId) > 0;
  return localWins === existing.initiatedLocally;
}

export interface CandidateHooks {
  /** Throws the BgpError to send when the OPEN is not acceptable. */
  check(open: OpenMessage): void;
  /** The peer's acceptable OPEN arrived; `body` is valid only during the call. */
  opened(open: OpenMessage, body: Uint8Array): void;
  /** The candidate is gone (closed by the peer, an error, or dropped). */
  gone(): void;
}

/** The peer's own connection, waiting for its OPEN. */
export class Candidate {
  readonly conn: Connection;
  private readonly hold: Timer;
  private done = false;

  constructor(
    stream: Duplex,
    info: { localAddress?: string; remoteAddress?: string },
    clock: Clock,
    ourOpen: Uint8Array,
    private readonly hooks: CandidateHooks,
  ) {
    const handlers: ConnectionHandlers = {
      onFrame: (type, body) => this.onFrame(type, body),
      onHeaderError: (err) => this.drop(err),
      onClose: () => this.finish(),
      onDrain: () => undefined,
    };
    this.conn = new Connection(stream, handlers, { ...info, initiatedLocally: false });
    this.hold = new Timer(clock, () => this.drop({ code: NotificationCode.HOLD_TIMER_EXPIRED, subcode: 0 }));
    this.hold.start(OPEN_WAIT_SECONDS * 1000);
    this.conn.send(ourOpen);
  }

  /** Closes the candidate with this NOTIFICATION. */
  drop(n: NotificationSpec): void {
    if (this.done) return;
    this.conn.send(encodeNotification(n.code, n.subcode, n.data));
    void this.conn.close();
    this.finish();
  }

  /** The candidate won: its connection is handed over (the caller rebinds its handlers). */
  adopt(): Connection {
    this.done = true;
    this.hold.stop();
    return this.conn;
  }

  private onFrame(type: number, body: Uint8Array): void {
    if (this.done) return;
    if (type !== MessageType.OPEN) {
      // RFC 6608: anything but OPEN in OpenSent is an FSM error.
      this.drop({ code: NotificationCode.FSM_ERROR, subcode: FsmErrorSubcode.UNEXPECTED_MESSAGE_IN_OPENSENT });
      return;
    }
    let open: OpenMessage;
    try {
      open = decodeOpen(body);
      this.hooks.check(open);
    } catch (err) {
      if (!(err instanceof BgpError)) throw err;
      this.drop(err);
      return;
    }
    this.hooks.opened(open, body);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.hold.stop();
    this.hooks.gone();
  }
}
