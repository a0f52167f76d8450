// The Kubernetes objects the controller reads, as they come from the API
// server or from a YAML file: BGPPeer (network.openyurt.io/v1alpha1,
// cluster-scoped), Secret (v1) and Node (v1). Shapes only; nothing here
// checks a value (validate.ts does). Fields are optional where an object from
// a hand-written file may lack them, so every reader must cope.
// Also the names that travel to status and events: condition types and
// reasons. The value types of fields (IP addresses and CIDRs) live in ip.ts
// and are re-exported here.

export { compareCIDR, parseCIDR, parseIP, type CIDR, type IP } from './ip.js';

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
