// Reduces each Node to what routes and election need (name, labels,
// readiness, first InternalIP per family, pod CIDRs) and checks it, then turns
// nodes into routes, one per prefix: used by validateObjects (validate.ts) and
// desired-state.ts. Each problem is one line naming the Node and the field.
// Pure: no I/O.
//
// Covers: a pod CIDR is advertised only with an InternalIP of its own family
// as next hop; CIDRs with host bits set are advertised with them cleared;
// addresses and prefixes are compared in canonical text (ip.ts, RFC 5952 §4).
// Label syntax is Kubernetes' (selector.ts).

import type { RouteSpec } from '../bgp/index.js';
import { compareCIDR, parseCIDR, parseIP, type CIDR } from './ip.js';
import { problem, type Node, type Problem } from './resources.js';
import { labelKeyError, labelValueError } from './selector.js';
import { isReady } from './election.js';
import { isObject, show } from './validate-common.js';

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

const FAMILY_NAME = { ipv4: 'IPv4', ipv6: 'IPv6' } as const;
const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);
const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** "spec.podCIDRs[i]", one string per index shared by every Node. */
const PODCIDRS_FIELDS: string[] = [];
const podCIDRsField = (i: number): string => (PODCIDRS_FIELDS[i] ??= `spec.podCIDRs[${i}]`);

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
    // A nameless Node is named by its position: a hit from another position is stale.
    if (hit && (hit.name === node.metadata?.name || hit.name === `#${index + 1}`)) return hit;
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
  if (name !== raw) add('metadata.name', 'is missing (required)');

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
      cidrFields.push(many ? podCIDRsField(i) : 'spec.podCIDR');
    }
  }
  return { name, labels, ready: isReady(node), ipv4, ipv6, cidrs, cidrFields, problems: problems ?? NO_PROBLEMS };
}

/** One route with the node that owns it, before de-duplication. */
export interface OwnedRoute {
  readonly node: string;
  /** Position of the node in the list the route came from (orders Nodes that share a name). */
  readonly position: number;
  /** Position among the node's pod CIDRs. */
  readonly index: number;
  readonly field: string;
  readonly cidr: CIDR;
  readonly nextHop: string;
}

/** The routes of the given nodes (in any order). */
export function nodeRoutes(nodes: Iterable<CheckedNode>): OwnedRoute[] {
  const out: OwnedRoute[] = [];
  let position = 0;
  for (const n of nodes) {
    const at = position++;
    n.cidrs.forEach((cidr, i) =>
      out.push({ node: n.name, position: at, index: i, field: n.cidrFields[i]!, cidr, nextHop: (cidr.family === 'ipv4' ? n.ipv4 : n.ipv6)! }),
    );
  }
  return out;
}

/**
 * The order of advertised routes: by owning Node name (then list position),
 * then IPv4 before IPv6, address, length. Grouping by Node keeps a change of
 * one Node to one place in the list, so the speaker's diff of the old and the
 * new list (common head and tail) stays small even when a pod CIDR moves.
 */
export function routeOrder(a: Pick<OwnedRoute, 'node' | 'position' | 'index' | 'cidr'>, b: Pick<OwnedRoute, 'node' | 'position' | 'index' | 'cidr'>): number {
  return a.node < b.node ? -1 : a.node > b.node ? 1 : a.position - b.position || compareCIDR(a.cidr, b.cidr) || a.index - b.index;
}

/** The problem of a Node whose pod CIDR `route` is also the pod CIDR of Node `winner`, which keeps it. */
export function duplicateCIDRProblem(route: Pick<OwnedRoute, 'node' | 'field' | 'cidr'>, winner: string): Problem {
  return problem('Node', route.node, route.field,
    `${route.cidr.text} is also the pod CIDR of Node ${winner}; only ${winner}'s route is advertised`);
}

/**
 * Sorts routes (IPv4 first, then by address and length) and keeps one per
 * prefix: two nodes claiming the same pod CIDR is a mistake, so the node with
 * the first name keeps it and the other is reported.
 */
export function dedupeRoutes(routes: OwnedRoute[]): { routes: RouteSpec[]; problems: Problem[] } {
  const d = winningRoutes(routes);
  return { routes: d.winners.map((r) => ({ prefix: r.cidr.text, nextHop: r.nextHop })), problems: d.problems };
}

/** dedupeRoutes, with the routes kept in routeOrder: the list a session advertises. */
export function advertisedRoutes(routes: OwnedRoute[]): { routes: RouteSpec[]; problems: Problem[] } {
  const d = winningRoutes(routes);
  d.winners.sort(routeOrder);
  return { routes: d.winners.map((r) => ({ prefix: r.cidr.text, nextHop: r.nextHop })), problems: d.problems };
}

/** The route kept per prefix (sorted by prefix) and the problems of the others. */
function winningRoutes(routes: OwnedRoute[]): { winners: OwnedRoute[]; problems: Problem[] } {
  routes.sort((a, b) => compareCIDR(a.cidr, b.cidr) || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const winners: OwnedRoute[] = [];
  const problems: Problem[] = [];
  let last: OwnedRoute | undefined;
  for (const r of routes) {
    if (last && last.cidr.text === r.cidr.text) {
      if (last.node !== r.node) problems.push(duplicateCIDRProblem(r, last.node));
      continue;
    }
    winners.push(r);
    last = r;
  }
  return { winners, problems };
}
