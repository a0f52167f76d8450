// The admin endpoint's vocabulary: what `/status` returns and what
// `bgp-speaker status` prints. Plain JSON shapes, no secrets by construction
// (the speaker's SessionStatus has no key; nothing here copies a spec).

/** One BGP session as `/status` shows it. */
export interface AdminSession {
  /** The BGPPeer name (the session's identity). */
  name: string;
  peerAddress: string;
  peerPort: number;
  peerAs: number;
  localAs: number;
  localAddress?: string;
  /** RFC 4271 §8.2.2 state: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  state: string;
  /** When the session entered `state`, ISO 8601. */
  since: string;
  /** Whole seconds spent in `state` when the status was taken. */
  secondsInState: number;
  /** The peer's BGP Identifier, once an OPEN was received. */
  peerRouterId?: string;
  /** Negotiated hold time, seconds (RFC 4271 §4.2); absent before OPEN exchange. */
  holdTime?: number;
  keepaliveTime?: number;
  /** Negotiated capabilities, e.g. ["as4", "ipv4", "ipv6", "route-refresh", "graceful-restart"]. */
  capabilities: string[];
  /** RFC 4724 as negotiated; absent before OPEN exchange. */
  gracefulRestart?: {
    local: boolean;
    peer: boolean;
    peerRestartTime?: number;
    /** RFC 8538 N bit on both sides. */
    notification: boolean;
  };
  advertisedPrefixes: number;
  receivedPrefixes: number;
  /** How many times the session reached Established. */
  establishedCount: number;
  /** The last failure in words (connect refused, NOTIFICATION code/subcode and meaning, …). */
  lastError?: string;
  /** Its typed reason, e.g. ConnectRefused, NotificationReceived. */
  lastErrorReason?: string;
  /** When it happened, ISO 8601. */
  lastErrorAt?: string;
}

/** The whole `/status` document. */
export interface AdminStatus {
  node: string;
  sessions: AdminSession[];
  /** Configuration problems currently in force, one line each (never a secret). */
  problems?: string[];
}
