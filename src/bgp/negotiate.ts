// Both OPENs -> what the session may use. RFC 4271 §4.2 (hold time) and
// §6.2 (OPEN checks that need configuration: peer AS, BGP Identifier),
// RFC 5492 (capabilities), RFC 4760 (families; none advertised means IPv4
// unicast), RFC 6793 (4-octet AS), RFC 2918 (route refresh), RFC 8654
// (extended messages), RFC 4724 and RFC 8538 (graceful restart, N bit).

import { AS_TRANS, Afi, BGP_VERSION, CapabilityCode, NotificationCode, OpenErrorSubcode, Safi } from './wire/constants.js';
import { BgpError } from './wire/errors.js';
import type { Capability, CodecContext, OpenMessage } from './wire/types.js';
import type { NegotiatedSummary } from './types.js';

export type Family = 'ipv4' | 'ipv6';

export const FAMILY_AFI: Record<Family, number> = { ipv4: Afi.IPV4, ipv6: Afi.IPV6 };

export function familyOfAfi(afi: number, safi: number): Family | null {
  if (safi !== Safi.UNICAST) return null;
  if (afi === Afi.IPV4) return 'ipv4';
  if (afi === Afi.IPV6) return 'ipv6';
  return null;
}

/** What we put in our OPEN: derived from the session's configuration. */
export interface LocalOpenParams {
  readonly localAs: number;
  readonly routerId: string;
  readonly holdTime: number;
  readonly families: readonly Family[];
  readonly gracefulRestart: { readonly enabled: boolean; readonly restartTime: number };
  /** RFC 4724 R bit: we restarted and the peer may hold our routes as stale. */
  readonly restarting: boolean;
}

/** The result of negotiation, one frozen object handed to every part of the session. */
export interface Negotiated extends CodecContext {
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly peerAs: number;
  readonly peerRouterId: string;
  readonly families: readonly Family[];
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly gracefulRestart: {
    readonly local: boolean;
    readonly peer: boolean;
    readonly peerRestartTime: number;
    readonly peerRestarting: boolean;
    /** RFC 8538: both sides set the N bit; a NOTIFICATION other than Hard Reset keeps routes. */
    readonly notification: boolean;
    /** Families the peer kept forwarding for across its restart (F bit). */
    readonly peerForwarding: readonly Family[];
  };
  readonly peerCapabilities: readonly string[];
}

export function buildOpen(p: LocalOpenParams): Omit<OpenMessage, 'type'> {
  const capabilities: Capability[] = [];
  for (const family of p.families) {
    capabilities.push({ code: CapabilityCode.MULTIPROTOCOL, afi: FAMILY_AFI[family], safi: Safi.UNICAST });
  }
  capabilities.push({ code: CapabilityCode.ROUTE_REFRESH });
  capabilities.push({ code: CapabilityCode.FOUR_OCTET_AS, asn: p.localAs });
  if (p.gracefulRestart.enabled) {
    capabilities.push({
      code: CapabilityCode.GRACEFUL_RESTART,
      restartState: p.restarting,
      // RFC 8538 N bit: we understand NOTIFICATIONs under GR.
      notification: true,
      restartTime: p.gracefulRestart.restartTime,
      // Forwarding bit set: pod routing works while the speaker restarts.
      families: p.families.map((f) => ({ afi: FAMILY_AFI[f], safi: Safi.UNICAST, forwarding: true })),
    });
  }
  capabilities.push({ code: CapabilityCode.EXTENDED_MESSAGE });
  return {
    version: BGP_VERSION,
    myAs: p.localAs > 0xffff ? AS_TRANS : p.localAs,
    holdTime: p.holdTime,
    bgpIdentifier: p.routerId,
    capabilities,
  };
}

function describeCapability(c: Capability): string {
  switch (c.code) {
    case 1: {
      const family = familyOfAfi(c.afi, c.safi);
      return family ? `multiprotocol-${family}` : `multiprotocol-${c.afi}/${c.safi}`;
    }
    case 2:
    case 128:
      return 'route-refresh';
    case 6:
      return 'extended-message';
    case 64:
      return `graceful-restart(${c.restartTime}s${c.restartState ? ',R' : ''}${c.notification ? ',N' : ''})`;
    case 65:
      return 'four-octet-as';
    case 70:
      return 'enhanced-route-refresh';
    default:
      return `capability-${c.type}`;
  }
}

function ipv4ToNumber(text: string): number {
  const parts = text.split('.');
  return ((+parts[0]! << 24) | (+parts[1]! << 16) | (+parts[2]! << 8) | +parts[3]!) >>> 0;
}

/** Compares two BGP Identifiers as 32-bit unsigned numbers (RFC 4271 §6.8). */
export function compareBgpIdentifiers(a: string, b: string): number {
  return ipv4ToNumber(a) - ipv4ToNumber(b);
}

/**
 * Checks the peer's OPEN against our configuration and combines both.
 * Throws the BgpError (OPEN Message Error) to send when they cannot work together.
 */
export function negotiate(
  local: LocalOpenParams,
  expectedPeerAs: number,
  peer: OpenMessage,
  configuredKeepalive?: number,
): Negotiated {
  const caps = peer.capabilities;
  const as4Cap = caps.find((c): c is Extract<Capability, { code: 65 }> => c.code === CapabilityCode.FOUR_OCTET_AS);
  // RFC 6793 §4.1: with the capability, the real ASN is in it, else in My AS.
  const peerAs = as4Cap ? as4Cap.asn : peer.myAs;
  if (peerAs !== expectedPeerAs) {
    // The data names the AS the peer claimed: with the RFC 6793 capability its
    // 4-octet ASN (My AS may be AS_TRANS), else the 2-octet My AS field (as BIRD does).
    const data = new Uint8Array(as4Cap ? 4 : 2);
    if (as4Cap) new DataView(data.buffer).setUint32(0, peerAs);
    else new DataView(data.buffer).setUint16(0, peer.myAs);
    throw new BgpError(
      NotificationCode.OPEN_MESSAGE_ERROR,
      OpenErrorSubcode.BAD_PEER_AS,
      data,
      `peer says AS ${peerAs}, configured peer AS is ${expectedPeerAs}`,
    );
  }
  // RFC 6286 §2.2: within one AS the identifiers must differ.
  if (peerAs === local.localAs && peer.bgpIdentifier === local.routerId) {
    throw new BgpError(
      NotificationCode.OPEN_MESSAGE_ERROR,
      OpenErrorSubcode.BAD_BGP_IDENTIFIER,
      new Uint8Array(0),
      `peer uses our own BGP Identifier ${local.routerId} in an iBGP session`,
    );
  }

  // RFC 4271 §4.2: the smaller of both; 0 turns keepalives and hold timer off.
  const holdTime = Math.min(local.holdTime, peer.holdTime);
  let keepaliveTime = 0;
  if (holdTime > 0) {
    const third = Math.floor(holdTime / 3);
    keepaliveTime = Math.max(1, configuredKeepalive ? Math.min(configuredKeepalive, third) : third);
  }

  const mp = caps.filter((c): c is Extract<Capability, { code: 1 }> => c.code === CapabilityCode.MULTIPROTOCOL);
  const peerFamilies = new Set<Family>();
  if (mp.length === 0) peerFamilies.add('ipv4'); // RFC 4760 §1: no MP capability = IPv4 unicast only
  for (const c of mp) {
    const f = familyOfAfi(c.afi, c.safi);
    if (f) peerFamilies.add(f);
  }
  const families = local.families.filter((f) => peerFamilies.has(f));
  if (families.length === 0) {
    throw new BgpError(
      NotificationCode.OPEN_MESSAGE_ERROR,
      OpenErrorSubcode.UNSUPPORTED_CAPABILITY,
      new Uint8Array(0),
      `no common address family: we offer ${local.families.join(', ')}, peer offers ${[...peerFamilies].join(', ') || 'none'}`,
    );
  }

  const gr = caps.find((c): c is Extract<Capability, { code: 64 }> => c.code === CapabilityCode.GRACEFUL_RESTART);
  const peerForwarding: Family[] = [];
  for (const f of gr?.families ?? []) {
    const family = familyOfAfi(f.afi, f.safi);
    if (family && f.forwarding) peerForwarding.push(family);
  }
  const localGr = local.gracefulRestart.enabled;

  return Object.freeze({
    as4: as4Cap !== undefined,
    extendedMessage: caps.some((c) => c.code === CapabilityCode.EXTENDED_MESSAGE),
    holdTime,
    keepaliveTime,
    peerAs,
    peerRouterId: peer.bgpIdentifier,
    families: Object.freeze(families),
    routeRefresh: caps.some((c) => c.code === CapabilityCode.ROUTE_REFRESH || c.code === CapabilityCode.ROUTE_REFRESH_CISCO),
    enhancedRouteRefresh: caps.some((c) => c.code === CapabilityCode.ENHANCED_ROUTE_REFRESH),
    gracefulRestart: Object.freeze({
      local: localGr,
      peer: gr !== undefined,
      peerRestartTime: gr?.restartTime ?? 0,
      peerRestarting: gr?.restartState ?? false,
      notification: localGr && (gr?.notification ?? false),
      peerForwarding: Object.freeze(peerForwarding),
    }),
    peerCapabilities: Object.freeze(caps.map(describeCapability)),
  });
}

export function summarize(n: Negotiated): NegotiatedSummary {
  return {
    holdTime: n.holdTime,
    keepaliveTime: n.keepaliveTime,
    as4: n.as4,
    families: n.families,
    routeRefresh: n.routeRefresh,
    extendedMessage: n.extendedMessage,
    gracefulRestart: {
      local: n.gracefulRestart.local,
      peer: n.gracefulRestart.peer,
      peerRestartTime: n.gracefulRestart.peer ? n.gracefulRestart.peerRestartTime : undefined,
      notification: n.gracefulRestart.notification,
    },
    peerCapabilities: n.peerCapabilities,
  };
}
