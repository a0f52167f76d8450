// Helpers shared by the checks of BGPPeer, Secret and Node objects
// (validate-peer.ts, validate-secret.ts, validate-node.ts): how a value is
// shown in a problem line, and the Kubernetes name syntaxes those checks
// share: object names are DNS subdomains (RFC 1123 labels joined by '.', at
// most 253 characters), Secret keys are alphanumerics, '-', '_' and '.'.
// No RFC facts of BGP here. Pure: no I/O.

export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

/** A value as it appears in a problem line: strings quoted, the rest as JSON. */
export function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A plain object (not null, not an array): a map of fields. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why `name` is not a DNS subdomain (object and node names), or undefined. */
export function nameError(name: string): string | undefined {
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return `${show(name)} is not a valid name (a DNS subdomain: lower-case alphanumerics, '-' and '.', at most 253 characters)`;
  }
  return undefined;
}
