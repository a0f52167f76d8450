// Decoded BGP messages as a discriminated union, and the negotiated context
// the codec needs (RFC 6793 AS4, RFC 8654 extended messages).
// Field names follow RFC 4271 §4.

import type { AsPathSegmentType, Origin } from './constants.js';
import type { Prefix } from '../prefix.js';

/** What the codec must know about the session to read and write UPDATEs. */
export interface CodecContext {
  /** Both sides sent the 4-octet AS capability: AS_PATH carries 4-octet ASNs. */
  readonly as4: boolean;
  /** Both sides sent the extended message capability: limit 65535, else 4096. */
  readonly extendedMessage: boolean;
}

export const DEFAULT_CODEC_CONTEXT: CodecContext = Object.freeze({ as4: false, extendedMessage: false });

export type Capability =
  | { readonly code: 1; readonly afi: number; readonly safi: number } // multiprotocol
  | { readonly code: 2 } // route refresh
  | { readonly code: 128 } // route refresh, pre-standard code
  | { readonly code: 6 } // extended message
  | { readonly code: 65; readonly asn: number } // 4-octet AS
  | {
      readonly code: 64; // graceful restart
      readonly restartState: boolean; // R bit
      readonly notification: boolean; // N bit (RFC 8538)
      readonly restartTime: number; // seconds, 12 bits
      readonly families: readonly { readonly afi: number; readonly safi: number; readonly forwarding: boolean }[];
    }
  | { readonly code: 70 } // enhanced route refresh
  | { readonly code: 'unknown'; readonly type: number; readonly value: Uint8Array }; // kept, ignored

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet My AS field: the ASN, or AS_TRANS (23456) when it does not fit. */
  readonly myAs: number;
  readonly holdTime: number;
  /** Dotted quad. */
  readonly bgpIdentifier: string;
  readonly capabilities: readonly Capability[];
  /** Optional parameters other than capabilities (type, value), kept for diagnostics. */
  readonly otherParameters?: readonly { readonly type: number; readonly value: Uint8Array }[];
}

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

export interface RawAttribute {
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Uint8Array;
}

/** Path attributes of RFC 4271 §5 and friends; absent fields were not in the message. */
export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: readonly AsPathSegment[];
  readonly as4Path?: readonly AsPathSegment[];
  /** NEXT_HOP (IPv4), dotted quad. */
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  readonly as4Aggregator?: { readonly asn: number; readonly address: string };
  /** RFC 1997 communities as 32-bit numbers (asn << 16 | value). */
  readonly communities?: readonly number[];
  /** Attributes the codec does not interpret, kept in order (optional transitive ones are passed through). */
  readonly unknown?: readonly RawAttribute[];
}

export interface MpReachNlri {
  readonly afi: number;
  readonly safi: number;
  /** Global next hop, and for IPv6 optionally the link-local one (RFC 2545). */
  readonly nextHops: readonly string[];
  readonly nlri: readonly Prefix[];
}

export interface MpUnreachNlri {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Prefix[];
}

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 unicast Withdrawn Routes field. */
  readonly withdrawn: readonly Prefix[];
  readonly attributes: PathAttributes;
  /** IPv4 unicast NLRI field. */
  readonly nlri: readonly Prefix[];
  readonly mpReach?: MpReachNlri;
  readonly mpUnreach?: MpUnreachNlri;
  /**
   * RFC 7606: set when the UPDATE was readable but its attributes were not
   * acceptable; every announced prefix must be treated as withdrawn. Names the problem.
   */
  readonly treatAsWithdraw?: string;
  /** RFC 7606 attribute discard: what was dropped and why. */
  readonly discarded?: readonly string[];
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  /** 0 normal request, 1 BoRR, 2 EoRR (RFC 7313). */
  readonly subtype: number;
  readonly safi: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;
