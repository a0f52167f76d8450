// Every check of BGPPeer, Secret and Node objects, in one place: used
// offline by `bgp-speaker validate` and `standalone` (validateObjects), and
// by desired-state.ts (checkPeer, resolveSecret, checkNode, dedupeRoutes), so
// a check is written once. Each problem is one line naming the object and
// the field. Pure: no I/O.
//
// Covers: AS numbers (RFC 4271 §4.2, RFC 6793: 1..4294967295, not AS_TRANS),
// hold time (RFC 4271 §4.2: 0 or 3..65535), graceful restart time (RFC 4724
// §3: 12 bits), TCP MD5 key length (RFC 2385 and Linux TCP_MD5SIG_MAXKEYLEN:
// at most 80 bytes), label selectors (selector.ts). An absent nodeSelector
// means all(): every node's pod CIDR is advertised.

import type { RouteSpec } from '../bgp/index.js';
import {
  API_VERSION,
  compareCIDR,
  DEFAULTS,
  parseCIDR,
  parseIP,
  problem,
  SECRET_NAMESPACE,
  type BGPPeer,
  type CIDR,
  type Node,
  type ObjectSet,
  type Problem,
  type Secret,
} from './resources.js';
import { formatSelector, labelKeyError, labelValueError, parseSelector, type Selector } from './selector.js';
import { isReady, listedSpeakers, speakerCount, speakersOf } from './election.js';

/** A BGPPeer that passed every check, with defaults applied. */
export interface CheckedPeer {
  readonly name: string;
  readonly peerAddress: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly peerPort: number;
  readonly localAs: number;
  readonly peerAs: number;
  readonly selector: Selector;
  /** Canonical selector text, for caching routes by selector. */
  readonly selectorText: string;
  /** spec.localSpeakers (may be empty: then rendezvous). */
  readonly localSpeakers: readonly string[];
  readonly speakerCount: number;
  readonly holdTime: number;
  readonly keepaliveTime?: number;
  readonly connectRetryTime: number;
  readonly gracefulRestart: { readonly enabled: boolean; readonly restartTime: number };
  readonly ebgpMultihop?: number;
  readonly maxPrefixes?: number;
  /** Secret reference, resolved separately by resolveSecret. */
  readonly secretKeyRef?: { readonly name: string; readonly key: string };
}

/** A Node reduced to what routes and election need. */
export interface CheckedNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ready: boolean;
  readonly ipv4: string | undefined;
  readonly ipv6: string | undefined;
  /** Pod CIDRs that have an InternalIP of their family, canonical. */
  readonly cidrs: readonly CIDR[];
  /** The field each of cidrs came from, e.g. "spec.podCIDRs[1]". */
  readonly cidrFields: readonly string[];
  /** Problems of this node (bad addresses, a CIDR without a next hop). */
  readonly problems: readonly Problem[];
}

const KNOWN_SPEC = new Set([
  'localSpeakers',
  'localAsNumber',
  'peerIP',
  'peerAsNumber',
  'nodeSelector',
  'gateway',
  'authPassword',
  'peerPort',
  'holdTime',
  'keepaliveTime',
  'connectRetryTime',
  'gracefulRestart',
  'ebgpMultihop',
  'speakerCount',
  'maxPrefixes',
]);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const AS_TRANS = 23456;

/** A value as it appears in a problem line: strings quoted, the rest as JSON. */
export function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why `name` is not a DNS subdomain (object and node names), or undefined. */
export function nameError(name: string): string | undefined {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return `${show(name)} is not a valid name (a DNS subdomain: lower-case alphanumerics, '-' and '.', at most 253 characters)`;
  }
  return undefined;
}

/** Checks an integer field; returns the value when valid, else undefined and a problem. */
function integer(
  out: Problem[],
  peer: string,
  field: string,
  v: unknown,
  ok: (n: number) => boolean,
  what: string,
): number | undefined {
  const at = (message: string) => out.push(problem('BGPPeer', peer, field, message));
  if (typeof v === 'string') {
    at(`${show(v)} is a string, expected a number (write it without quotes)`);
    return undefined;
  }
  if (typeof v !== 'number') {
    at(`${show(v)} is not a number`);
    return undefined;
  }
  if (!Number.isInteger(v) || !ok(v)) {
    at(`${v} is not ${what}`);
    return undefined;
  }
  return v;
}

function asNumber(out: Problem[], peer: string, field: string, v: unknown): number | undefined {
  if (v === undefined || v === null) {
    out.push(problem('BGPPeer', peer, field, 'is required'));
    return undefined;
  }
  const n = integer(out, peer, field, v, (x) => x >= 1 && x <= 0xffffffff, 'an AS number (1..4294967295)');
  if (n === AS_TRANS) {
    out.push(problem('BGPPeer', peer, field, `${n} is AS_TRANS (RFC 6793), not a real AS number`));
    return undefined;
  }
  return n;
}

function optional<T>(v: unknown, check: () => T | undefined): T | undefined | null {
  // null: present but invalid; undefined: absent.
  if (v === undefined || v === null) return undefined;
  const r = check();
  return r === undefined ? null : r;
}

/**
 * Checks one BGPPeer on its own (Secrets are resolved by resolveSecret).
 * Returns the checked peer when it has no error, and every problem found.
 */
export function checkPeer(peer: BGPPeer, index = 0): { peer?: CheckedPeer; problems: Problem[] } {
  const out: Problem[] = [];
  const rawName = peer?.metadata?.name;
  const name = typeof rawName === 'string' && rawName !== '' ? rawName : `#${index + 1}`;
  if (typeof rawName !== 'string' || rawName === '') {
    out.push(problem('BGPPeer', name, 'metadata.name', 'is required'));
  } else {
    const err = nameError(rawName);
    if (err) out.push(problem('BGPPeer', name, 'metadata.name', err));
  }
  if (peer?.apiVersion !== undefined && peer.apiVersion !== API_VERSION) {
    out.push(problem('BGPPeer', name, 'apiVersion', `${show(peer.apiVersion)} is not ${API_VERSION}`));
  }
  const spec: unknown = peer?.spec;
  if (!isObject(spec)) {
    out.push(problem('BGPPeer', name, 'spec', spec === undefined ? 'is required' : 'is not an object'));
    return { problems: out };
  }
  const warn = (field: string, message: string) =>
    out.push(problem('BGPPeer', name, field, message, 'InvalidSpec', 'warning'));
  const err = (field: string, message: string) => out.push(problem('BGPPeer', name, field, message));

  for (const k of Object.keys(spec).sort()) {
    if (!KNOWN_SPEC.has(k)) warn(`spec.${k}`, 'unknown field, ignored');
  }

  const localAs = asNumber(out, name, 'spec.localAsNumber', spec.localAsNumber);
  const peerAs = asNumber(out, name, 'spec.peerAsNumber', spec.peerAsNumber);

  let peerAddress: string | undefined;
  let family: 'ipv4' | 'ipv6' | undefined;
  if (spec.peerIP === undefined || spec.peerIP === null) {
    err('spec.peerIP', 'is required');
  } else {
    const ip = typeof spec.peerIP === 'string' ? parseIP(spec.peerIP) : undefined;
    if (!ip) err('spec.peerIP', `${show(spec.peerIP)} is not an IP address`);
    else if (ip.unspecified || ip.multicast) err('spec.peerIP', `${show(spec.peerIP)} is not a unicast address`);
    else {
      peerAddress = ip.text;
      family = ip.family;
    }
  }

  if (spec.gateway !== undefined && spec.gateway !== null) {
    const ip = typeof spec.gateway === 'string' ? parseIP(spec.gateway) : undefined;
    if (!ip) err('spec.gateway', `${show(spec.gateway)} is not an IP address`);
  }

  let selector: Selector | undefined;
  const ns = spec.nodeSelector;
  if (ns === undefined || ns === null) {
    selector = parseSelector('');
  } else if (typeof ns !== 'string') {
    err('spec.nodeSelector', `${show(ns)} is not a string (a label selector such as "k=v", or "all()")`);
  } else {
    try {
      selector = parseSelector(ns);
    } catch (e) {
      err('spec.nodeSelector', `${show(ns)} is not a label selector: ${(e as Error).message}`);
    }
  }

  const ls = spec.localSpeakers;
  if (ls !== undefined && ls !== null && !Array.isArray(ls)) {
    err('spec.localSpeakers', `${show(ls)} is not a list of node names`);
  } else if (Array.isArray(ls)) {
    const seen = new Set<string>();
    ls.forEach((s: unknown, i: number) => {
      const f = `spec.localSpeakers[${i}]`;
      if (typeof s !== 'string' || s === '') err(f, `${show(s)} is not a node name`);
      else if (nameError(s)) err(f, nameError(s)!);
      else if (seen.has(s)) warn(f, `${show(s)} is listed twice`);
      seen.add(typeof s === 'string' ? s : '');
    });
    if (ls.length > 0 && spec.speakerCount !== undefined) {
      warn('spec.speakerCount', 'ignored because spec.localSpeakers is set');
    }
  }

  const u32 = (x: number) => x >= 1 && x <= 0xffffffff;
  const peerPort = optional(spec.peerPort, () =>
    integer(out, name, 'spec.peerPort', spec.peerPort, (x) => x >= 1 && x <= 65535, 'a TCP port (1..65535)'),
  );
  // RFC 4271 §4.2: the Hold Time MUST be either zero or at least three seconds.
  const holdTime = optional(spec.holdTime, () =>
    integer(out, name, 'spec.holdTime', spec.holdTime, (x) => x === 0 || (x >= 3 && x <= 65535),
      'a valid hold time (0 or 3..65535 seconds, RFC 4271 §4.2)'),
  );
  const keepaliveTime = optional(spec.keepaliveTime, () =>
    integer(out, name, 'spec.keepaliveTime', spec.keepaliveTime, (x) => x >= 0 && x <= 65535,
      'a valid keepalive time (0..65535 seconds)'),
  );
  const effectiveHold = typeof holdTime === 'number' ? holdTime : DEFAULTS.holdTime;
  if (typeof keepaliveTime === 'number' && holdTime !== null) {
    if (effectiveHold > 0 && (keepaliveTime === 0 || keepaliveTime >= effectiveHold)) {
      err('spec.keepaliveTime', `${keepaliveTime} must be between 1 and the hold time (${effectiveHold}), exclusive`);
    } else if (effectiveHold === 0 && keepaliveTime !== 0) {
      warn('spec.keepaliveTime', `${keepaliveTime} is ignored: hold time 0 means no KEEPALIVEs (RFC 4271 §4.4)`);
    }
  }
  const connectRetryTime = optional(spec.connectRetryTime, () =>
    integer(out, name, 'spec.connectRetryTime', spec.connectRetryTime, (x) => x >= 1 && x <= 65535,
      'a valid retry time (1..65535 seconds)'),
  );
  const ebgpMultihop = optional(spec.ebgpMultihop, () =>
    integer(out, name, 'spec.ebgpMultihop', spec.ebgpMultihop, (x) => x >= 1 && x <= 255, 'a TTL (1..255)'),
  );
  const count = optional(spec.speakerCount, () =>
    integer(out, name, 'spec.speakerCount', spec.speakerCount, (x) => x >= 1, 'a speaker count (1 or more)'),
  );
  const maxPrefixes = optional(spec.maxPrefixes, () =>
    integer(out, name, 'spec.maxPrefixes', spec.maxPrefixes, u32, 'a prefix limit (1..4294967295)'),
  );

  let gracefulRestart: { enabled: boolean; restartTime: number } = { ...DEFAULTS.gracefulRestart };
  const gr = spec.gracefulRestart;
  if (gr !== undefined && gr !== null) {
    if (!isObject(gr)) err('spec.gracefulRestart', `${show(gr)} is not an object`);
    else {
      for (const k of Object.keys(gr).sort()) {
        if (k !== 'enabled' && k !== 'restartTime') warn(`spec.gracefulRestart.${k}`, 'unknown field, ignored');
      }
      if (gr.enabled !== undefined && gr.enabled !== null && typeof gr.enabled !== 'boolean') {
        err('spec.gracefulRestart.enabled', `${show(gr.enabled)} is not a boolean (true or false)`);
      } else if (typeof gr.enabled === 'boolean') {
        gracefulRestart.enabled = gr.enabled;
      }
      // RFC 4724 §3: Restart Time is a 12-bit field.
      const rt = optional(gr.restartTime, () =>
        integer(out, name, 'spec.gracefulRestart.restartTime', gr.restartTime, (x) => x >= 0 && x <= 4095,
          'a valid restart time (0..4095 seconds, RFC 4724 §3)'),
      );
      if (typeof rt === 'number') gracefulRestart = { ...gracefulRestart, restartTime: rt };
    }
  }

  let secretKeyRef: { name: string; key: string } | undefined;
  const ap = spec.authPassword;
  if (ap !== undefined && ap !== null) {
    const ref = isObject(ap) ? ap.secretKeyRef : undefined;
    if (!isObject(ap)) err('spec.authPassword', `${show(ap)} is not an object with secretKeyRef`);
    else if (!isObject(ref)) err('spec.authPassword.secretKeyRef', 'is required (name and key of a Secret in kube-system)');
    else {
      const bad = (field: string, v: unknown, re: RegExp, what: string) => {
        if (v === undefined || v === null || v === '') err(`spec.authPassword.secretKeyRef.${field}`, 'is required');
        else if (typeof v !== 'string' || !re.test(v) || v.length > 253) {
          err(`spec.authPassword.secretKeyRef.${field}`, `${show(v)} is not ${what}`);
        } else return false;
        return true;
      };
      const b1 = bad('name', ref.name, DNS_SUBDOMAIN, 'a Secret name');
      const b2 = bad('key', ref.key, SECRET_KEY, 'a Secret key (alphanumerics, \'-\', \'_\' and \'.\')');
      if (!b1 && !b2) secretKeyRef = { name: ref.name as string, key: ref.key as string };
    }
  }

  if (out.some((p) => p.severity !== 'warning')) return { problems: out };
  return {
    problems: out,
    peer: {
      name,
      peerAddress: peerAddress!,
      family: family!,
      peerPort: peerPort ?? DEFAULTS.peerPort,
      localAs: localAs!,
      peerAs: peerAs!,
      selector: selector!,
      selectorText: formatSelector(selector!),
      localSpeakers: listedSpeakers(peer),
      speakerCount: count ?? speakerCount(peer),
      holdTime: holdTime ?? DEFAULTS.holdTime,
      ...(typeof keepaliveTime === 'number' && effectiveHold > 0 ? { keepaliveTime } : {}),
      connectRetryTime: connectRetryTime ?? DEFAULTS.connectRetryTime,
      gracefulRestart,
      ...(typeof ebgpMultihop === 'number' ? { ebgpMultihop } : {}),
      ...(typeof maxPrefixes === 'number' ? { maxPrefixes } : {}),
      ...(secretKeyRef ? { secretKeyRef } : {}),
    },
  };
}

/** Decodes standard base64 strictly (the API server's encoding); undefined when malformed. */
function decodeBase64(s: string): Buffer | undefined {
  const t = s.replace(/\s+/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

/**
 * The MD5 key a checked BGPPeer refers to. stringData wins over data for the
 * same key, as the API server merges them. Problems name the BGPPeer (the
 * object whose session does not start), never the password.
 */
export function resolveSecret(
  peer: CheckedPeer,
  secrets: readonly Secret[],
): { md5Key?: string; problem?: Problem } {
  const ref = peer.secretKeyRef;
  if (!ref) return {};
  const field = 'spec.authPassword.secretKeyRef';
  const where = `Secret ${SECRET_NAMESPACE}/${ref.name}`;
  const secret = secrets.find((s) => s?.metadata?.namespace === SECRET_NAMESPACE && s.metadata.name === ref.name);
  if (!secret) {
    const elsewhere = secrets.find((s) => s?.metadata?.name === ref.name);
    const hint = elsewhere
      ? ` (there is one in ${elsewhere.metadata.namespace ? `namespace ${elsewhere.metadata.namespace}` : 'no namespace'}; it must be in ${SECRET_NAMESPACE})`
      : '';
    return { problem: problem('BGPPeer', peer.name, field, `${where} not found${hint}`, 'SecretNotFound') };
  }
  const sd = isObject(secret.stringData) ? secret.stringData[ref.key] : undefined;
  const d = isObject(secret.data) ? secret.data[ref.key] : undefined;
  let bytes: Buffer | undefined;
  if (typeof sd === 'string') bytes = Buffer.from(sd, 'utf8');
  else if (typeof d === 'string') {
    bytes = decodeBase64(d);
    if (!bytes) {
      return { problem: problem('BGPPeer', peer.name, field, `${where} key ${show(ref.key)} is not valid base64`) };
    }
  } else {
    return { problem: problem('BGPPeer', peer.name, field, `${where} has no key ${show(ref.key)}`, 'SecretNotFound') };
  }
  if (bytes.length === 0) {
    return { problem: problem('BGPPeer', peer.name, field, `${where} key ${show(ref.key)} is empty`) };
  }
  // RFC 2385 keys are bytes; Linux TCP_MD5SIG_MAXKEYLEN is 80.
  if (bytes.length > 80) {
    return {
      problem: problem('BGPPeer', peer.name, field,
        `${where} key ${show(ref.key)} is ${bytes.length} bytes; a TCP MD5 key is at most 80 (RFC 2385)`),
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { problem: problem('BGPPeer', peer.name, field, `${where} key ${show(ref.key)} is not valid UTF-8`) };
  }
  return { md5Key: text };
}

/** Checks one Secret's own fields (data must be base64 strings, stringData strings). */
export function checkSecret(secret: Secret, index = 0): Problem[] {
  const out: Problem[] = [];
  const ns = secret?.metadata?.namespace;
  const name = `${ns ?? ''}${ns ? '/' : ''}${secret?.metadata?.name ?? `#${index + 1}`}`;
  for (const part of ['data', 'stringData'] as const) {
    const m: unknown = secret?.[part];
    if (m === undefined || m === null) continue;
    if (!isObject(m)) {
      out.push(problem('Secret', name, part, `${show(m)} is not a map of keys to values`));
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (!SECRET_KEY.test(k)) out.push(problem('Secret', name, `${part}.${k}`, 'is not a valid Secret key'));
      if (typeof v !== 'string') out.push(problem('Secret', name, `${part}.${k}`, 'is not a string'));
      else if (part === 'data' && !decodeBase64(v)) out.push(problem('Secret', name, `${part}.${k}`, 'is not valid base64'));
    }
  }
  return out;
}

const FAMILY_NAME = { ipv4: 'IPv4', ipv6: 'IPv6' } as const;
const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);
const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Problems of a Node's label keys and values (Kubernetes syntax); validateObjects only. */
export function checkNodeLabels(node: Node, index = 0): Problem[] {
  const out: Problem[] = [];
  const labels: unknown = node?.metadata?.labels;
  if (!isObject(labels)) return out;
  const raw = node?.metadata?.name;
  const name = typeof raw === 'string' && raw !== '' ? raw : `#${index + 1}`;
  for (const k in labels) {
    const v = labels[k];
    if (typeof v !== 'string') continue; // checkNode reports it
    const e = labelKeyError(k) ?? labelValueError(v);
    if (e) out.push(problem('Node', name, `metadata.labels.${k}`, e));
  }
  return out;
}

// Objects from informer caches and from the YAML source are replaced, never
// changed in place, so a Node's reduction is computed once per object.
const checkedNodes = new WeakMap<object, CheckedNode>();

/**
 * Reduces a Node to name, labels, readiness, first InternalIP per family and
 * its pod CIDRs (spec.podCIDRs, else spec.podCIDR). A pod CIDR with no
 * InternalIP of its family cannot get a next hop: reported and left out.
 * The result is cached per Node object: do not change a Node in place.
 */
export function checkNode(node: Node, index = 0): CheckedNode {
  const isObj = typeof node === 'object' && node !== null;
  if (isObj) {
    const hit = checkedNodes.get(node);
    if (hit && (hit.name !== `#${index + 1}` || node.metadata?.name === hit.name)) return hit;
  }
  const r = reduceNode(node, index);
  if (isObj) checkedNodes.set(node, r);
  return r;
}

function reduceNode(node: Node, index: number): CheckedNode {
  let problems: Problem[] | undefined;
  const raw = node?.metadata?.name;
  const name = typeof raw === 'string' && raw !== '' ? raw : `#${index + 1}`;
  const add = (field: string, message: string, severity: 'error' | 'warning' = 'error') =>
    (problems ??= []).push(problem('Node', name, field, message, 'InvalidSpec', severity));
  if (name !== raw) add('metadata.name', 'is required');

  // Only the type of label values is checked here (a YAML number would never
  // match a selector); the API server checks the syntax, and so does
  // checkNodeLabels for files.
  let labels = EMPTY_LABELS;
  const rawLabels: unknown = node?.metadata?.labels;
  if (isObject(rawLabels)) {
    let clean = true;
    for (const k in rawLabels) {
      const v = rawLabels[k];
      if (typeof v !== 'string') {
        add(`metadata.labels.${k}`, `${show(v)} is not a string (quote it)`);
        clean = false;
      }
    }
    if (clean) labels = rawLabels as Record<string, string>;
    else {
      const kept: Record<string, string> = {};
      for (const k in rawLabels) if (typeof rawLabels[k] === 'string') kept[k] = rawLabels[k] as string;
      labels = kept;
    }
  }

  let ipv4: string | undefined;
  let ipv6: string | undefined;
  const addrs: unknown = node?.status?.addresses;
  if (Array.isArray(addrs)) {
    for (let i = 0; i < addrs.length; i++) {
      const a: unknown = addrs[i];
      if (!isObject(a) || a.type !== 'InternalIP') continue;
      const ip = typeof a.address === 'string' ? parseIP(a.address) : undefined;
      if (!ip) add(`status.addresses[${i}].address`, `${show(a.address)} is not an IP address`);
      // Kubernetes lists the primary address of each family first.
      else if (ip.family === 'ipv4') ipv4 ??= ip.text;
      else ipv6 ??= ip.text;
    }
  }

  const cidrs: CIDR[] = [];
  const cidrFields: string[] = [];
  const spec: unknown = node?.spec;
  if (isObject(spec)) {
    const many = Array.isArray(spec.podCIDRs) && spec.podCIDRs.length > 0;
    const list: unknown[] = many
      ? (spec.podCIDRs as unknown[])
      : spec.podCIDR !== undefined && spec.podCIDR !== null && spec.podCIDR !== ''
        ? [spec.podCIDR]
        : [];
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      const cidr = typeof c === 'string' ? parseCIDR(c) : undefined;
      if (!cidr) {
        add(many ? `spec.podCIDRs[${i}]` : 'spec.podCIDR', `${show(c)} is not a CIDR`);
        continue;
      }
      if (cidr.hostBits) {
        add(many ? `spec.podCIDRs[${i}]` : 'spec.podCIDR', `${show(c)} has host bits set; advertised as ${cidr.text}`, 'warning');
      }
      if ((cidr.family === 'ipv4' ? ipv4 : ipv6) === undefined) {
        add('status.addresses',
          `no InternalIP of family ${FAMILY_NAME[cidr.family]} for pod CIDR ${cidr.text}; that prefix is not advertised`);
        continue;
      }
      cidrs.push(cidr);
      cidrFields.push(many ? `spec.podCIDRs[${i}]` : 'spec.podCIDR');
    }
  }
  return { name, labels, ready: isReady(node), ipv4, ipv6, cidrs, cidrFields, problems: problems ?? NO_PROBLEMS };
}

/** One route with the node that owns it, before de-duplication. */
export interface OwnedRoute {
  readonly node: string;
  readonly field: string;
  readonly cidr: CIDR;
  readonly nextHop: string;
}

/** The routes of the given nodes (in any order). */
export function nodeRoutes(nodes: Iterable<CheckedNode>): OwnedRoute[] {
  const out: OwnedRoute[] = [];
  for (const n of nodes) {
    n.cidrs.forEach((cidr, i) =>
      out.push({ node: n.name, field: n.cidrFields[i]!, cidr, nextHop: (cidr.family === 'ipv4' ? n.ipv4 : n.ipv6)! }),
    );
  }
  return out;
}

/**
 * Sorts routes (IPv4 first, then by address and length) and keeps one per
 * prefix: two nodes claiming the same pod CIDR is a mistake, so the node with
 * the first name keeps it and the other is reported.
 */
export function dedupeRoutes(routes: OwnedRoute[]): { routes: RouteSpec[]; problems: Problem[] } {
  routes.sort((a, b) => compareCIDR(a.cidr, b.cidr) || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const out: RouteSpec[] = [];
  const problems: Problem[] = [];
  let last: OwnedRoute | undefined;
  for (const r of routes) {
    if (last && last.cidr.text === r.cidr.text) {
      if (last.node !== r.node) {
        problems.push(problem('Node', r.node, r.field,
          `${r.cidr.text} is also the pod CIDR of Node ${last.node}; only ${last.node}'s route is advertised`));
      }
      continue;
    }
    out.push({ prefix: r.cidr.text, nextHop: r.nextHop });
    last = r;
  }
  return { routes: out, problems };
}

/** The message of a peer-address conflict; `winner` runs the session on `nodes`. */
export function conflictProblem(loser: string, winner: string, address: string, port: number, nodes: readonly string[]): Problem {
  const where = nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${nodes.join(', ')}`;
  return problem('BGPPeer', loser, 'spec.peerIP',
    `${address} port ${port} is also the peer of BGPPeer ${winner} on ${where}; only ${winner}'s session runs there`);
}

/** Sorts problems and drops repeated lines, so output is stable. */
export function sortProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  const rank = { BGPPeer: 1, Secret: 2, Node: 3, File: 0 } as const;
  return problems
    .filter((p) => (seen.has(p.line) ? false : (seen.add(p.line), true)))
    .sort((a, b) => rank[a.kind] - rank[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
}

/**
 * Every problem of a set of objects, independent of which node runs it:
 * each BGPPeer, its Secret, each Secret, each Node, pod CIDRs claimed twice,
 * and two BGPPeers with the same peer address and port on one speaker node
 * (with the Nodes given, for elected speakers).
 */
export function validateObjects(objects: ObjectSet): Problem[] {
  const out: Problem[] = [];
  const peers: CheckedPeer[] = [];
  (objects.bgpPeers ?? []).forEach((p, i) => {
    const r = checkPeer(p, i);
    out.push(...r.problems);
    if (!r.peer) return;
    const s = resolveSecret(r.peer, objects.secrets ?? []);
    if (s.problem) out.push(s.problem);
    else peers.push(r.peer);
  });
  (objects.secrets ?? []).forEach((s, i) => out.push(...checkSecret(s, i)));
  const nodes = (objects.nodes ?? []).map((n, i) => checkNode(n, i));
  for (const n of nodes) out.push(...n.problems);
  (objects.nodes ?? []).forEach((n, i) => out.push(...checkNodeLabels(n, i)));
  out.push(...dedupeRoutes(nodeRoutes(nodes)).problems);

  // Speakers of each usable peer, then conflicts per node.
  const byNode = new Map<string, CheckedPeer[]>();
  for (const p of peers) {
    for (const node of speakersOf(p, nodes)) {
      const list = byNode.get(node) ?? [];
      list.push(p);
      byNode.set(node, list);
    }
  }
  const conflicts = new Map<string, { loser: string; winner: string; address: string; port: number; nodes: string[] }>();
  for (const node of [...byNode.keys()].sort()) {
    const winners = new Map<string, string>();
    for (const p of [...byNode.get(node)!].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const key = `${p.peerAddress}|${p.peerPort}`;
      const w = winners.get(key);
      if (w === undefined) winners.set(key, p.name);
      else {
        const id = `${p.name}|${w}`;
        const c = conflicts.get(id) ?? { loser: p.name, winner: w, address: p.peerAddress, port: p.peerPort, nodes: [] };
        c.nodes.push(node);
        conflicts.set(id, c);
      }
    }
  }
  for (const c of conflicts.values()) out.push(conflictProblem(c.loser, c.winner, c.address, c.port, c.nodes));
  return sortProblems(out);
}
