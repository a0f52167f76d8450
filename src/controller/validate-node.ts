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
import { Ipv4Prefix } from '../bgp/prefix.js';
import { compareCIDR, Ipv4Cidr, ipv4CidrAddress, parseCIDR, parseIP, type CIDR } from './ip.js';
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
  /**
   * Where each of cidrs came from: its index in spec.podCIDRs, or -1 for
   * spec.podCIDR; null when cidrs[k] is spec.podCIDRs[k] for every k (the
   * usual case, which then costs nothing per CIDR). See cidrField.
   */
  readonly cidrOrigins: readonly number[] | null;
  /** Problems of this node (bad addresses, a CIDR without a next hop). */
  readonly problems: readonly Problem[];
}

const FAMILY_NAME = { ipv4: 'IPv4', ipv6: 'IPv6' } as const;
const NO_PROBLEMS: readonly Problem[] = Object.freeze([]);
const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** The field cidrs[k] of a checked Node came from, e.g. "spec.podCIDRs[1]"; made only for a problem line. */
export function cidrField(n: CheckedNode, k: number): string {
  const at = n.cidrOrigins === null ? k : n.cidrOrigins[k]!;
  return at < 0 ? 'spec.podCIDR' : `spec.podCIDRs[${at}]`;
}

/**
 * A canonical IPv4 pod CIDR that is also its own route: the controller's
 * CIDR, the speaker's prefix object and the RouteSpec are one 56-octet
 * object, and a Node with 100,000 pod CIDRs makes no other object per CIDR
 * on the way to the speaker. reduceNode sets the next hop, the Node's IPv4
 * InternalIP, before the object leaves it; it never changes after that
 * (a Node with another address is a new Node object, checked anew).
 */
class Ipv4PodRoute extends Ipv4Cidr implements RouteSpec {
  nextHop = '';

  get prefix(): string {
    return this.key;
  }

  get parsed(): Ipv4Prefix {
    return this;
  }
}

/** The route of a pod CIDR: the CIDR itself when it is one (canonical IPv4, see Ipv4PodRoute). */
export function routeOfCIDR(cidr: CIDR, nextHop: string): RouteSpec {
  if (cidr instanceof Ipv4PodRoute && cidr.nextHop === nextHop) return cidr;
  return { prefix: cidr.text, nextHop };
}

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

  let cidrs: CIDR[] = [];
  let origins: number[] | null = null;
  const spec: unknown = node?.spec;
  if (isObject(spec)) {
    const many = Array.isArray(spec.podCIDRs) && spec.podCIDRs.length > 0;
    const list: unknown[] = many
      ? (spec.podCIDRs as unknown[])
      : spec.podCIDR !== undefined && spec.podCIDR !== null && spec.podCIDR !== ''
        ? [spec.podCIDR]
        : [];
    // Sized at once and cut to what is kept: pushing 100,000 pod CIDRs one
    // by one leaves some 25 outgrown arrays for the garbage collector.
    cidrs = new Array<CIDR>(list.length);
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      const cidr = typeof c === 'string' ? parseCIDR(c, Ipv4PodRoute) : undefined;
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
      if (cidr instanceof Ipv4PodRoute) cidr.nextHop = ipv4!;
      const at = many ? i : -1;
      if (origins === null && at !== kept) origins = Array.from({ length: kept }, (_, k) => k);
      cidrs[kept++] = cidr;
      origins?.push(at);
    }
    cidrs.length = kept;
  }
  return { name, labels, ready: isReady(node), ipv4, ipv6, cidrs, cidrOrigins: origins, problems: problems ?? NO_PROBLEMS };
}

/** One pod CIDR of one Node, as claimed for a route (node-index.ts keeps these, with the route). */
export interface OwnedRoute {
  readonly node: string;
  /** Position of the node in the list the route came from (orders Nodes that share a name). */
  readonly position: number;
  /** Position among the node's pod CIDRs. */
  readonly index: number;
  /** The checked Node it came from (for the field name of a problem: cidrField). */
  readonly owner: CheckedNode;
  readonly cidr: CIDR;
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
export function duplicateCIDRProblem(route: Pick<OwnedRoute, 'node' | 'owner' | 'index' | 'cidr'>, winner: string): Problem {
  return problem('Node', route.node, cidrField(route.owner, route.index),
    `${route.cidr.text} is also the pod CIDR of Node ${winner}; only ${winner}'s route is advertised`);
}

/** The routes of a set of Nodes, one per prefix. */
export interface SelectedRouteList {
  /** In routeOrder; empty when not asked for. */
  readonly routes: RouteSpec[];
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  /** Pod CIDRs claimed by two Nodes: the Node with the first name (then list position) keeps it. */
  readonly problems: Problem[];
}

/** A Node's pod CIDR indexes in compareCIDR order (then index); null when cidrs already are in that order. */
function cidrOrder(cidrs: readonly CIDR[]): number[] | null {
  for (let k = 1; k < cidrs.length; k++) {
    if (compareCIDR(cidrs[k - 1]!, cidrs[k]!) > 0) return Array.from(cidrs, (_, i) => i).sort((a, b) => compareCIDR(cidrs[a]!, cidrs[b]!) || a - b);
  }
  return null;
}

/**
 * Whether some prefix appears twice among the Nodes' pod CIDRs. IPv4
 * prefixes are compared as numbers in one sorted Float64Array (address *
 * 64 + length), so the usual answer, no, costs no object per CIDR; IPv6
 * ones by text.
 */
function mayClaimTwice(nodes: readonly CheckedNode[]): boolean {
  let count = 0;
  for (let i = 0; i < nodes.length; i++) count += nodes[i]!.cidrs.length;
  const keys = new Float64Array(count);
  let v4 = 0;
  let byText: Set<string> | null = null;
  for (let i = 0; i < nodes.length; i++) {
    const cidrs = nodes[i]!.cidrs;
    for (let k = 0; k < cidrs.length; k++) {
      const c = cidrs[k]!;
      if (c.family === 'ipv4') {
        keys[v4++] = (ipv4CidrAddress(c) >>> 0) * 64 + c.length;
      } else {
        byText ??= new Set();
        if (byText.has(c.text)) return true;
        byText.add(c.text);
      }
    }
  }
  const sorted = keys.subarray(0, v4).sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return true;
  return false;
}

/**
 * One route per prefix for `nodes`, walked in routeOrder so the first claim
 * of a prefix is the winner and the list comes out sorted: no object per
 * claim and no sort of the whole list (a Node with 100,000 pod CIDRs is
 * one pass). Two Nodes claiming the same pod CIDR is a mistake: the Node
 * with the first name keeps it and the other is reported; a Node listing a
 * CIDR twice gets one route. `withRoutes: false` finds only the problems.
 */
export function selectRoutes(nodes: readonly CheckedNode[], withRoutes = true): SelectedRouteList {
  const owner = mayClaimTwice(nodes) ? new Map<string, string>() : null;
  const byName = Array.from(nodes, (_, i) => i).sort((a, b) => {
    const x = nodes[a]!.name;
    const y = nodes[b]!.name;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  // Sized at once and cut to what is kept, as the CIDRs of reduceNode.
  let most = 0;
  if (withRoutes) for (let i = 0; i < nodes.length; i++) most += nodes[i]!.cidrs.length;
  const routes = new Array<RouteSpec>(most);
  let kept = 0;
  const losers: OwnedRoute[] = [];
  let ipv4 = false;
  let ipv6 = false;
  for (let p = 0; p < byName.length; p++) {
    const n = nodes[byName[p]!]!;
    const cidrs = n.cidrs;
    const order = cidrOrder(cidrs);
    for (let j = 0; j < cidrs.length; j++) {
      const index = order === null ? j : order[j]!;
      const cidr = cidrs[index]!;
      if (owner !== null) {
        const kept = owner.get(cidr.text);
        if (kept !== undefined) {
          if (kept !== n.name) losers.push({ node: n.name, position: p, index, owner: n, cidr });
          continue;
        }
        owner.set(cidr.text, n.name);
      }
      const v4 = cidr.family === 'ipv4';
      if (v4) ipv4 = true;
      else ipv6 = true;
      if (withRoutes) routes[kept++] = routeOfCIDR(cidr, (v4 ? n.ipv4 : n.ipv6)!);
    }
  }
  routes.length = kept;
  // Reported in prefix order (a stable sort keeps Node order within a prefix).
  losers.sort((a, b) => compareCIDR(a.cidr, b.cidr));
  const problems = losers.map((r) => duplicateCIDRProblem(r, owner!.get(r.cidr.text)!));
  return { routes, ipv4, ipv6, problems };
}
