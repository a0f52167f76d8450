// The collector's route table (RFC 4271 §9 Adj-RIB-In, one per peer, no
// decision process) and the RFC 4724 §4.2 stale copy a graceful-restart
// Receiving Speaker keeps while the peer restarts. Also the pure helpers that
// turn decoded attributes into what the collector reports: AS_PATH with
// AS4_PATH merged (RFC 6793 §4.2.3), RFC 1997 communities as "asn:value",
// and a numeric sort key of prefix texts.

import type { Clock } from '../bgp/clock.js';
import type { Family } from '../bgp/negotiate.js';
import { Timer } from '../bgp/timers.js';
import { canonicalAddress } from '../bgp/transport.js';
import type { AsPathSegment, PathAttributes } from '../bgp/wire/index.js';
import type { CollectedRoute, CollectorPeer, CollectorSession } from './collector.js';

/** What all prefixes of one UPDATE share; stored once per UPDATE. */
export interface Attrs {
  readonly nextHop: string;
  readonly asPath: number[];
  readonly origin: CollectedRoute['origin'];
  readonly localPref?: number;
  readonly med?: number;
  readonly communities?: string[];
}

export type Table = Record<Family, Map<string, Attrs>>;

const ORIGINS: readonly CollectedRoute['origin'][] = ['IGP', 'EGP', 'INCOMPLETE'];
export const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

export function emptyTable(): Table {
  return { ipv4: new Map(), ipv6: new Map() };
}

export function familyOfKey(key: string): Family {
  return key.includes(':') ? 'ipv6' : 'ipv4';
}
/** Sort key of a canonical prefix text: family, then the address as fixed-width hex, then the length. */
/**
 * Numeric sort key of an IPv4 prefix text (address * 64 + length, exact in a
 * double), or -1 for IPv6, which then sorts by sortKey().
 */
export function ipv4SortKey(prefix: string): number {
  if (prefix.includes(':')) return -1;
  let n = 0;
  let octet = 0;
  for (let i = 0; i < prefix.length; i++) {
    const ch = prefix.charCodeAt(i);
    if (ch === 46 /* . */ || ch === 47 /* / */) {
      n = n * 256 + octet;
      octet = 0;
      if (ch === 47) return n * 64 + Number(prefix.slice(i + 1));
    } else {
      octet = octet * 10 + (ch - 48);
    }
  }
  return -1;
}

export function sortKey(prefix: string): string {
  const slash = prefix.indexOf('/');
  const addr = prefix.slice(0, slash);
  const len = prefix.slice(slash + 1).padStart(3, '0');
  if (!addr.includes(':')) {
    return '4' + addr.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('') + len;
  }
  let groups: string[];
  const dbl = addr.indexOf('::');
  const toGroups = (s: string): string[] => {
    if (s === '') return [];
    const parts = s.split(':');
    const last = parts[parts.length - 1];
    // RFC 5952 §5: an embedded IPv4 address takes two groups.
    if (last.includes('.')) {
      const o = last.split('.').map(Number);
      parts.splice(parts.length - 1, 1, ((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16));
    }
    return parts;
  };
  if (dbl >= 0) {
    const head = toGroups(addr.slice(0, dbl));
    const tail = toGroups(addr.slice(dbl + 2));
    groups = [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  } else {
    groups = toGroups(addr);
  }
  return '6' + groups.map((g) => g.padStart(4, '0')).join('') + len;
}

/** AS_PATH as a list of ASNs (AS_SET members in place), with AS4_PATH merged per RFC 6793 §4.2.3. */
function flattenAsPath(asPath: readonly AsPathSegment[] | undefined, as4Path: readonly AsPathSegment[] | undefined): number[] {
  const flat = (segs: readonly AsPathSegment[]): number[] => segs.flatMap((s) => [...s.asns]);
  const path = flat(asPath ?? []);
  if (as4Path === undefined) return path;
  const path4 = flat(as4Path);
  if (path4.length > path.length) return path;
  return [...path.slice(0, path.length - path4.length), ...path4];
}

function communityText(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

/** One configured peer: its table outlives its TCP connections (that is what stale routes need). */

/** The attributes of one UPDATE minus the next hop, shared by all its prefixes. */
export function sharedAttrs(a: PathAttributes, as4: boolean): Omit<Attrs, 'nextHop'> {
  return {
    asPath: flattenAsPath(a.asPath, as4 ? undefined : a.as4Path),
    origin: ORIGINS[a.origin ?? 0] ?? 'INCOMPLETE',
    ...(a.localPref !== undefined ? { localPref: a.localPref } : {}),
    ...(a.med !== undefined ? { med: a.med } : {}),
    ...(a.communities !== undefined ? { communities: a.communities.map(communityText) } : {}),
  };
}

/** One configured peer: its table outlives its TCP connections (that is what stale routes need). */
export class PeerState<C = unknown> {
  readonly address: string;
  readonly as: number;
  rib: Table = emptyTable();
  stale: Table = emptyTable();
  conn: C | null = null;
  /** RFC 4724 §4.2 Restart Time, then the wait for End-of-RIB. */
  staleTimer: Timer;
  status: CollectorSession;

  constructor(peer: CollectorPeer, clock: Clock, onStaleTimeout: () => void) {
    this.address = canonicalAddress(peer.address);
    this.as = peer.as;
    this.staleTimer = new Timer(clock, onStaleTimeout);
    this.status = { peer: this.address, peerAs: peer.as, state: 'Idle', since: clock.now(), receivedPrefixes: 0, endOfRib: [], capabilities: [] };
  }

  count(): number {
    return this.rib.ipv4.size + this.rib.ipv6.size + this.stale.ipv4.size + this.stale.ipv6.size;
  }

  dropStale(family?: Family): number {
    let n = 0;
    for (const f of family ? [family] : FAMILIES) {
      n += this.stale[f].size;
      this.stale[f] = new Map();
    }
    if (this.stale.ipv4.size + this.stale.ipv6.size === 0) this.staleTimer.stop();
    return n;
  }

  /** RFC 4724 §4.2: the session went down without a NOTIFICATION; everything held becomes stale. */
  markStale(): void {
    for (const f of FAMILIES) {
      if (this.stale[f].size === 0) {
        this.stale[f] = this.rib[f];
      } else {
        for (const [k, v] of this.rib[f]) this.stale[f].set(k, v);
      }
    }
    this.rib = emptyTable();
  }
}

/** One TCP connection of one peer, from accept to close. */
