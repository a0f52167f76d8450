// Checks one BGPPeer on its own, field by field, and applies the spec
// defaults: used by validateObjects (validate.ts) and desired-state.ts. Each
// problem is one line naming the object and the field. Pure: no I/O.
//
// Covers: AS numbers (RFC 4271 §4.2, RFC 6793: 1..4294967295, not AS_TRANS),
// hold time (RFC 4271 §4.2: 0 or 3..65535; a keepalive below it, none at hold
// time 0, §4.4), graceful restart time (RFC 4724 §3: 12 bits), label
// selectors (selector.ts). An absent nodeSelector means all(): every node's
// pod CIDR is advertised. The Secret a peer names is resolved separately
// (validate-secret.ts).

import { parseIP } from './ip.js';
import { API_VERSION, DEFAULTS, problem, type BGPPeer, type Problem } from './resources.js';
import { formatSelector, parseSelector, type Selector } from './selector.js';
import { listedSpeakers, speakerCount } from './election.js';
import { DNS_SUBDOMAIN, isObject, nameError, SECRET_KEY, show } from './validate-common.js';

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

const AS_TRANS = 23456;

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
    out.push(problem('BGPPeer', peer, field, 'is missing (required)'));
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
    out.push(problem('BGPPeer', name, 'metadata.name', 'is missing (required)'));
  } else {
    const err = nameError(rawName);
    if (err) out.push(problem('BGPPeer', name, 'metadata.name', err));
  }
  if (peer?.apiVersion !== undefined && peer.apiVersion !== API_VERSION) {
    out.push(problem('BGPPeer', name, 'apiVersion', `${show(peer.apiVersion)} is not ${API_VERSION}`));
  }
  const spec: unknown = peer?.spec;
  if (!isObject(spec)) {
    out.push(problem('BGPPeer', name, 'spec', spec === undefined ? 'is missing (required)' : 'is not an object'));
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
    err('spec.peerIP', 'is missing (required)');
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
    else if (!isObject(ref)) err('spec.authPassword.secretKeyRef', 'is missing (required: name and key of a Secret in kube-system)');
    else {
      const bad = (field: string, v: unknown, re: RegExp, what: string) => {
        if (v === undefined || v === null || v === '') err(`spec.authPassword.secretKeyRef.${field}`, 'is missing (required)');
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
