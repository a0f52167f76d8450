// Resolves a checked BGPPeer's spec.authPassword.secretKeyRef to its TCP MD5
// key, and checks each Secret's own fields (data base64, stringData plain
// text): used by validateObjects (validate.ts) and desired-state.ts. Problems
// of a missing or bad key name the BGPPeer, never the password. Pure: no I/O.
//
// Covers: TCP MD5 key length (RFC 2385 keys are bytes; Linux
// TCP_MD5SIG_MAXKEYLEN: at most 80 bytes); the key must be valid UTF-8 text.

import { problem, SECRET_NAMESPACE, type Problem, type Secret } from './resources.js';
import type { CheckedPeer } from './validate-peer.js';
import { isObject, SECRET_KEY, show } from './validate-common.js';

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
  peer: Pick<CheckedPeer, 'name' | 'secretKeyRef'>,
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
