// Which NOTIFICATION, if any, ends a session that is stopped on purpose, and
// the data of the max-prefix Cease. Graceful restart decides most of it:
// RFC 4724 §4.2 (a TCP close without NOTIFICATION keeps our routes at the
// peer), RFC 8538 §2-§3 (with the N bit on both sides any Cease but Hard
// Reset keeps them; Hard Reset carries the Cease it stands for), RFC 4486
// (Cease subcodes), RFC 8203 (shutdown communication).

import type { NotificationSpec } from './fsm.js';
import type { Negotiated } from './negotiate.js';
import { CeaseSubcode, NotificationCode } from './wire/constants.js';
import { encodeShutdownCommunication } from './wire/index.js';

/** How a session is stopped on purpose. */
export type StopMode =
  /** SIGTERM: the peer keeps our routes as stale (RFC 4724; RFC 8538 when negotiated). */
  | 'graceful'
  /** The peer was removed from the configuration: the peer drops our routes now. */
  | 'deconfigure'
  /** A setting that needs a new session changed (address, ASN, key, timers). */
  | 'reconfigure';

/** The NOTIFICATION to send; undefined means close TCP without one. */
export function stopNotification(mode: StopMode, negotiated: Negotiated | null, established: boolean): NotificationSpec | undefined {
  const n = established ? negotiated : null;
  if (mode === 'graceful') {
    if (n && n.gracefulRestart.local && n.gracefulRestart.peer) {
      return n.gracefulRestart.notification
        ? { code: NotificationCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, data: encodeShutdownCommunication('speaker restarting') }
        : undefined;
    }
    return { code: NotificationCode.CEASE, subcode: CeaseSubcode.ADMINISTRATIVE_SHUTDOWN };
  }
  const subcode = mode === 'deconfigure' ? CeaseSubcode.PEER_DE_CONFIGURED : CeaseSubcode.OTHER_CONFIGURATION_CHANGE;
  if (mode === 'deconfigure' && n && n.gracefulRestart.notification) {
    return { code: NotificationCode.CEASE, subcode: CeaseSubcode.HARD_RESET, data: Uint8Array.of(NotificationCode.CEASE, subcode) };
  }
  return { code: NotificationCode.CEASE, subcode };
}

/** RFC 4486 §4: Cease / Maximum Number of Prefixes Reached carries AFI, SAFI and the limit. */
export function maxPrefixNotification(afi: number, safi: number, limit: number): NotificationSpec {
  const data = new Uint8Array(7);
  const view = new DataView(data.buffer);
  view.setUint16(0, afi);
  data[2] = safi;
  view.setUint32(3, limit >>> 0);
  return { code: NotificationCode.CEASE, subcode: CeaseSubcode.MAXIMUM_NUMBER_OF_PREFIXES_REACHED, data };
}
