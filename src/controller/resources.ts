// The Kubernetes objects the controller reads, as they come from the API
// server or from a YAML file: BGPPeer (network.openyurt.io/v1alpha1,
// cluster-scoped), Secret (v1) and Node (v1). Shapes only; nothing here
// checks a value (validate.ts does). Fields are optional where an object from
// a hand-written file may lack them, so every reader must cope.
// Also the names that travel to status and events: condition types and
// reasons, and the value types of fields: IP addresses and CIDRs.

export const GROUP = 'network.openyurt.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const PLURAL = 'bgppeers';
export const KIND = 'BGPPeer';
/** authPassword.secretKeyRef always names a Secret in this namespace. */
export const SECRET_NAMESPACE = 'kube-system';

/** Spec defaults of the extension fields (documented in the CRD and README). */
export const DEFAULTS = {
  peerPort: 179,
  holdTime: 90,
  connectRetryTime: 120,
  speakerCount: 2,
  gracefulRestart: { enabled: true, restartTime: 600 },
} as const;

/** Condition types in status.conditions and reasons of conditions and Events. */
export const Reason = {
  Established: 'Established',
  AllEstablished: 'AllEstablished',
  PartiallyEstablished: 'PartiallyEstablished',
  NoneEstablished: 'NoneEstablished',
  InvalidSpec: 'InvalidSpec',
  SecretNotFound: 'SecretNotFound',
  FailedEstablish: 'FailedEstablish',
  SessionDown: 'SessionDown',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface SecretKeyRef {
  name: string;
  key: string;
}

export interface BGPPeerSpec {
  /** Nodes that run the sessions. Empty or absent: elect speakerCount by rendezvous hashing. */
  localSpeakers?: string[];
  localAsNumber: number;
  peerIP: string;
  peerAsNumber: number;
  /** Label selector of the nodes whose pod CIDRs are advertised; absent means all(). */
  nodeSelector?: string;
  /** Next hop nodes of this LAN use for pod CIDRs outside it; not used by the speaker. */
  gateway?: string;
  authPassword?: { secretKeyRef: SecretKeyRef };
  /** Extension: TCP port of the peer. Default 179. */
  peerPort?: number;
  /** Extension: proposed hold time, 0 or 3..65535 s (RFC 4271 §4.2). Default 90. */
  holdTime?: number;
  /** Extension: keepalive interval, s. Default a third of the negotiated hold time. */
  keepaliveTime?: number;
  /** Extension: upper bound of the reconnect backoff, s. Default 120. */
  connectRetryTime?: number;
  /** Extension: RFC 4724. Default enabled with restartTime 600. */
  gracefulRestart?: { enabled?: boolean; restartTime?: number };
  /** Extension: eBGP multihop TTL, 1..255. */
  ebgpMultihop?: number;
  /** Extension: how many speakers to elect when localSpeakers is empty. Default 2. */
  speakerCount?: number;
  /** Extension: Cease when the peer sends more prefixes than this. */
  maxPrefixes?: number;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** status.speakers.<node>: written only by that node's agent (JSON merge patch). */
export interface SpeakerStatus {
  state?: string;
  lastTransitionTime?: string;
  localAddress?: string;
  peerRouterID?: string;
  holdTime?: number;
  /** RFC 4724 as negotiated (status.ts GracefulRestartStatus writes it). */
  gracefulRestart?: { enabled?: boolean; local?: boolean; peer?: boolean; peerRestartTime?: number; notification?: boolean };
  advertisedPrefixes?: number;
  receivedPrefixes?: number;
  lastError?: string;
}

export interface BGPPeerStatus {
  speakers?: Record<string, SpeakerStatus>;
  conditions?: Condition[];
  observedGeneration?: number;
}

export interface BGPPeer {
  apiVersion: typeof API_VERSION;
  kind: 'BGPPeer';
  metadata: ObjectMeta;
  spec: BGPPeerSpec;
  status?: BGPPeerStatus;
}

export interface Secret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta;
  type?: string;
  /** Values are base64, as the API server returns them. */
  data?: Record<string, string>;
  /** Write-only plain text; wins over data for the same key, as on the API server. */
  stringData?: Record<string, string>;
}

export interface NodeAddress {
  /** InternalIP, ExternalIP, Hostname, InternalDNS, ExternalDNS. */
  type: string;
  address: string;
}

export interface NodeCondition {
  type: string;
  status: string;
}

export interface Node {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: ObjectMeta;
  spec?: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean };
  status?: { addresses?: NodeAddress[]; conditions?: NodeCondition[] };
}

/** Everything desired state is computed from. */
export interface ObjectSet {
  bgpPeers: BGPPeer[];
  secrets: Secret[];
  nodes: Node[];
}

/**
 * One problem with the input, as one line a person can act on. `line` is
 * `<kind> <name>: <field>: <message>`. File problems (YAML syntax, unknown kinds)
 * have kind 'File', name = the file, field = `<line>:<col>`, and the line
 * `<file>:<line>:<col>: <message>`.
 * Warnings do not stop a session; errors stop the object's session.
 */
export interface Problem {
  kind: 'BGPPeer' | 'Secret' | 'Node' | 'File';
  name: string;
  field: string;
  message: string;
  reason: 'InvalidSpec' | 'SecretNotFound';
  /** Absent means 'error'. */
  severity?: 'error' | 'warning';
  line: string;
}

/** Builds a Problem with its line. */
export function problem(
  kind: Problem['kind'],
  name: string,
  field: string,
  message: string,
  reason: Problem['reason'] = 'InvalidSpec',
  severity: 'error' | 'warning' = 'error',
): Problem {
  const line =
    kind === 'File'
      ? `${name}:${field}: ${message}`
      : field === ''
        ? `${kind} ${name}: ${message}`
        : `${kind} ${name}: ${field}: ${message}`;
  const p: Problem = { kind, name, field, message, reason, line };
  if (severity === 'warning') p.severity = 'warning';
  return p;
}

/** True for problems that stop a session (everything but warnings). */
export function isError(p: Problem): boolean {
  return p.severity !== 'warning';
}

// Addresses and prefixes as they appear in fields (peerIP, gateway,
// status.addresses, spec.podCIDRs), parsed to bytes and printed back in
// canonical text: IPv4 dotted quad without leading zeros, IPv6 per RFC 5952
// §4 (lower case, longest run of two or more zero groups as "::", leftmost on
// a tie), so equal addresses compare equal as strings.

export interface IP {
  readonly family: 'ipv4' | 'ipv6';
  /** 4 or 16 octets. */
  readonly bytes: Uint8Array;
  /** Canonical text. */
  readonly text: string;
  readonly unspecified: boolean;
  readonly multicast: boolean;
}

export interface CIDR {
  readonly family: 'ipv4' | 'ipv6';
  /** 4 or 16 octets, host bits cleared. */
  readonly bytes: Uint8Array;
  readonly length: number;
  /** Canonical text, e.g. "10.244.1.0/24", "fd00:10:244:4::/64". */
  readonly text: string;
  /** The text had bits set past the prefix length. */
  readonly hostBits: boolean;
}

/** Orders IPv4 before IPv6, then by address, then by prefix length. */
export function compareCIDR(a: CIDR, b: CIDR): number {
  if (a.bytes.length !== b.bytes.length) return a.bytes.length - b.bytes.length;
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i] !== b.bytes[i]) return a.bytes[i]! - b.bytes[i]!;
  }
  return a.length - b.length;
}

/**
 * Reads a dotted quad from s[from..to) into out[at..at+4). Leading zeros are
 * rejected (some parsers read them as octal), so valid text is canonical.
 */
function parseIPv4(s: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let digits = 0;
  let value = 0;
  for (let i = from; i <= to; i++) {
    const c = i < to ? s.charCodeAt(i) : 46; // a final '.' closes the last part
    if (c >= 48 && c <= 57) {
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || part === 4) return false;
      out[at + part++] = value;
      digits = 0;
      value = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseIPv6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  const words: number[] = [];
  let gap = -1;
  let i = 0;
  const n = s.length;
  if (n < 2) return undefined;
  if (s.startsWith('::')) {
    gap = 0;
    i = 2;
  } else if (s.charCodeAt(0) === 58) {
    return undefined;
  }
  while (i < n) {
    let j = i;
    let v = 0;
    while (j < n && j - i < 5) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      // Embedded IPv4 in the last 32 bits (RFC 4291 §2.2 form 3).
      if (words.length > 6) return undefined;
      const v4 = new Uint8Array(4);
      if (!parseIPv4(s, i, n, v4, 0)) return undefined;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      i = n;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    words.push(v);
    if (j === n) {
      i = n;
      break;
    }
    if (s.charCodeAt(j) !== 58) return undefined;
    if (j + 1 < n && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return undefined;
      gap = words.length;
      i = j + 2;
    } else {
      if (j + 1 === n) return undefined;
      i = j + 1;
    }
  }
  if (words.length > 8 || (gap < 0 && words.length !== 8) || (gap >= 0 && words.length > 7)) return undefined;
  const full = gap < 0 ? words : [...words.slice(0, gap), ...new Array<number>(8 - words.length).fill(0), ...words.slice(gap)];
  for (let k = 0; k < 8; k++) {
    out[2 * k] = full[k]! >> 8;
    out[2 * k + 1] = full[k]! & 0xff;
  }
  return out;
}

function formatIPv6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(w);
  return `${hex(w.slice(0, bestAt))}::${hex(w.slice(bestAt + bestLen))}`;
}

function formatIP(bytes: Uint8Array): string {
  return bytes.length === 4 ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : formatIPv6(bytes);
}

function parseBytes(text: string, to: number): Uint8Array | undefined {
  if (text.indexOf(':') >= 0) return to === text.length ? parseIPv6(text) : parseIPv6(text.slice(0, to));
  const b = new Uint8Array(4);
  return parseIPv4(text, 0, to, b, 0) ? b : undefined;
}

/** Parses an IPv4 or IPv6 address (no zone, no prefix length); undefined when it is not one. */
export function parseIP(text: string): IP | undefined {
  const bytes = parseBytes(text, text.length);
  if (!bytes) return undefined;
  const v4 = bytes.length === 4;
  let zero = true;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) zero = false;
  return {
    family: v4 ? 'ipv4' : 'ipv6',
    bytes,
    // Valid IPv4 text is already canonical (no leading zeros).
    text: v4 ? text : formatIPv6(bytes),
    unspecified: zero,
    multicast: v4 ? bytes[0]! >= 224 : bytes[0] === 0xff,
  };
}

/** Parses `address/length`; host bits are cleared (and flagged). Undefined when it is not a CIDR. */
export function parseCIDR(text: string): CIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const bytes = parseBytes(text, slash);
  if (!bytes) return undefined;
  let length = 0;
  const digits = text.length - slash - 1;
  if (digits < 1 || digits > 3 || (digits > 1 && text.charCodeAt(slash + 1) === 48)) return undefined;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    length = length * 10 + (c - 48);
  }
  if (length > bytes.length * 8) return undefined;
  let hostBits = false;
  for (let i = 0; i < bytes.length; i++) {
    const keep = length - i * 8;
    const mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    if ((bytes[i]! & ~mask & 0xff) !== 0) {
      hostBits = true;
      bytes[i] = bytes[i]! & mask;
    }
  }
  const family = bytes.length === 4 ? 'ipv4' : 'ipv6';
  const canonical = family === 'ipv4' && !hostBits ? text : `${formatIP(bytes)}/${length}`;
  return { family, bytes, length, text: canonical, hostBits };
}
