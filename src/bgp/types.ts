// The speaker's public vocabulary: what the rest of the product asks for
// (SessionSpec, RouteSpec) and what it is told back (SessionStatus,
// SessionEvent, reasons). No Kubernetes here; the controller maps these.

import type { Prefix } from './prefix.js';

/** One route to advertise: prefix in canonical text, next hop of the same family. */
export interface RouteSpec {
  /** e.g. "10.244.1.0/24" or "fd00:10:244:1::/64". */
  readonly prefix: string;
  /** e.g. "172.16.0.11" or "fd00::11": the node that owns the prefix. */
  readonly nextHop: string;
  /**
   * The prefix already parsed, when the caller has it (the controller keeps
   * each pod CIDR as an Ipv4Prefix): the speaker then keeps this object
   * instead of parsing `prefix` into one of its own. Used only when its key
   * is `prefix`.
   */
  readonly parsed?: Prefix;
}

export interface GracefulRestartSpec {
  readonly enabled: boolean;
  /** Restart Time advertised in the capability, seconds (0..4095). Default 600. */
  readonly restartTime: number;
}

/** Everything the speaker needs to run one BGP session. */
export interface SessionSpec {
  /** Stable identity of the session (the BGPPeer name); the key sync() diffs by. */
  readonly name: string;
  readonly peerAddress: string;
  /** Default 179. */
  readonly peerPort?: number;
  /** Source address of the TCP connection; also the NEXT_HOP family check. */
  readonly localAddress?: string;
  readonly localAs: number;
  readonly peerAs: number;
  /** BGP Identifier, dotted quad. */
  readonly routerId: string;
  /** Proposed hold time, seconds: 0 or 3..65535. Default 90. */
  readonly holdTime?: number;
  /** Keepalive interval, seconds. Default a third of the negotiated hold time. */
  readonly keepaliveTime?: number;
  /** Upper bound of the reconnect backoff, seconds. Default 120. */
  readonly connectRetryTime?: number;
  /** How long a TCP connect may take before it counts as failed, seconds. Default 30. */
  readonly connectTimeout?: number;
  /** TCP MD5 key (RFC 2385), at most 80 bytes. Never logged. */
  readonly md5Key?: string;
  /** Default { enabled: true, restartTime: 600 }. */
  readonly gracefulRestart?: GracefulRestartSpec;
  /** eBGP multihop TTL; unset means 1 for eBGP (directly connected) and 64 for iBGP. */
  readonly ebgpMultihop?: number;
  /** End the session with Cease/Maximum Number of Prefixes Reached above this many received prefixes. */
  readonly maxPrefixes?: number;
  /** Address families to negotiate; default: IPv4 unicast and IPv6 unicast. */
  readonly families?: readonly ('ipv4' | 'ipv6')[];
  /** The routes this session must advertise: the whole desired set. */
  readonly routes: readonly RouteSpec[];
  /**
   * false while `routes` is not yet the whole desired set (the configuration
   * is still loading): the session is started and what is known is sent,
   * but End-of-RIB waits for a sync with routesComplete true (or unset), so
   * a peer holding our routes as stale after a restart does not flush the
   * ones not loaded yet (RFC 4724 §4.1). Changing it never restarts the
   * session. Default true.
   */
  readonly routesComplete?: boolean;
}

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/**
 * Why a session is not (or no longer) Established. The same value feeds logs,
 * status, events and metrics.
 */
export type SessionReason =
  | 'ConnectRefused' // TCP RST to our SYN
  | 'ConnectTimeout' // no answer: unreachable, filtered, or TCP MD5 mismatch
  | 'ConnectError' // any other socket error while connecting
  | 'ConnectionClosed' // the peer closed TCP without a NOTIFICATION
  | 'ConnectionError' // socket error on an open connection
  | 'NotificationReceived'
  | 'NotificationSent' // we found a protocol error and told the peer
  | 'HoldTimerExpired'
  | 'MaxPrefixesExceeded'
  | 'CollisionResolved' // this connection lost connection collision detection
  | 'AdminStop' // sync() removed the session, or the speaker stops
  | 'ConfigChanged'; // a change that needs a new session (address, ASN, key)

export interface SessionError {
  readonly reason: SessionReason;
  /** The cause in words, fit for an Event message. Never contains a secret. */
  readonly message: string;
  /** Wall-clock ms since the epoch. */
  readonly at: number;
  /** Set for NotificationReceived / NotificationSent. */
  readonly notification?: { readonly code: number; readonly subcode: number; readonly text: string };
}

export interface NegotiatedSummary {
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly as4: boolean;
  readonly families: readonly ('ipv4' | 'ipv6')[];
  readonly routeRefresh: boolean;
  readonly extendedMessage: boolean;
  readonly gracefulRestart: {
    /** We sent the capability. */
    readonly local: boolean;
    /** The peer sent the capability. */
    readonly peer: boolean;
    readonly peerRestartTime?: number;
    /** RFC 8538 N bit on both sides. */
    readonly notification: boolean;
  };
  readonly peerCapabilities: readonly string[];
}

export interface SessionStatus {
  readonly name: string;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly peerAs: number;
  readonly localAs: number;
  readonly localAddress?: string;
  readonly state: SessionState;
  /** Wall-clock ms since the epoch of the last state change. */
  readonly since: number;
  readonly peerRouterId?: string;
  readonly negotiated?: NegotiatedSummary;
  readonly advertisedPrefixes: number;
  readonly receivedPrefixes: number;
  readonly lastError?: SessionError;
  /** How many times the session has reached Established. */
  readonly establishedCount: number;
}

/** Emitted by the Speaker as 'state' on every state change of a session. */
export interface SessionEvent {
  readonly name: string;
  readonly from: SessionState;
  readonly to: SessionState;
  /** Set when the session leaves OpenSent/OpenConfirm/Established or an attempt fails. */
  readonly error?: SessionError;
  readonly status: SessionStatus;
}
