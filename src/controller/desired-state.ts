// The pure core of the controller: objects + this node's name -> the BGP
// sessions this node must run, each with its whole desired route set, and the
// problems found on the way. No I/O, no clock; the same input always gives the
// same (sorted) output, so the speaker's diff stays quiet when nothing changed.
// desiredState is the reference: it walks every Node. desiredStateOf is the
// same computation asking a NodeView for what concerns all Nodes (elections,
// routes by selector), so an index that keeps those answers as Nodes change
// (node-index.ts) makes one change cost O(changed Nodes); tests check that the
// two agree after random sequences of changes.
//
// Rules (DESIGN.md "Rules the parts keep"):
// - Election: election.ts (localSpeakers, else rendezvous hashing).
// - Session: name = BGPPeer name; peerAddress = spec.peerIP; routerId and
//   localAddress = this node's InternalIP (routerId IPv4, RFC 4271 §4.2 BGP
//   Identifier; localAddress of the peer's family) unless opts override.
// - Routes: every node matched by nodeSelector with pod CIDRs, next hop its
//   InternalIP of the prefix's family; readiness does not matter.
// - Secrets: a missing Secret or key means no session (never one without the
//   password) and a SecretNotFound problem.
// - Two BGPPeers with the same peer address and port on this node: the first
//   name gets the session, the other an InvalidSpec problem.
// The checks themselves live in validate.ts, shared with `bgp-speaker validate`.

import { onFirstUse } from '../bgp/lazy.js';
import type { RouteSpec, SessionSpec } from '../bgp/index.js';
import { listedSpeakers, rendezvous } from './election.js';
import type { BGPPeer, Node, ObjectSet, Problem, Secret } from './resources.js';
import { parseIP, problem } from './resources.js';
import { ALL, formatSelector, matches, parseSelector, type Selector } from './selector.js';
import {
  checkNode,
  checkPeer,
  conflictProblem,
  resolveSecret,
  selectRoutes,
  sortProblems,
  type CheckedNode,
  type CheckedPeer,
} from './validate.js';

export interface DesiredStateOptions {
  /** BGP Identifier to use instead of the node's IPv4 InternalIP. */
  readonly routerId?: string;
  /** Source address to use instead of the node's InternalIP of the peer's family. */
  readonly localAddress?: string;
}

export interface DesiredState {
  /** Sorted by name. */
  readonly sessions: SessionSpec[];
  /**
   * Problems of the BGPPeers this node speaks for, of the Nodes whose routes
   * those sessions carry, and of this Node. Problems of other BGPPeers are
   * left to their speakers, so one agent (not every agent) reports each;
   * validateObjects lists everything.
   */
  readonly problems: Problem[];
  /**
   * Names of the BGPPeers this node is a speaker for, sorted: the peers whose
   * status.speakers.<node> entry this agent writes, including those that got
   * no session because of a problem.
   */
  readonly speakerFor: string[];
}

/** Only the router ID of an IPv6-only Node needs it. */
const crypto = onFirstUse<typeof import('node:crypto')>('node:crypto');

/**
 * A stable BGP Identifier for a node with only IPv6 addresses: the first four
 * octets of SHA-256 over the address's 16 octets. The identifier must be a
 * non-zero 32-bit value unique in the AS (RFC 6286 §2.1); an IPv6 address's
 * low 32 bits collide too easily (::1, fd00::1, fd01::1), a hash does not in
 * practice and never changes for the same address.
 */
export function routerIdFromIPv6(bytes: Uint8Array): string {
  const d = crypto().createHash('sha256').update(bytes).digest();
  const id: number[] = [d[0]!, d[1]!, d[2]!, d[3]!];
  if (!id.some((x) => x !== 0)) id[3] = 1;
  return id.join('.');
}

/**
 * What desired state needs of the Node set, as questions an index can answer
 * without walking every Node (node-index.ts keeps the answers up to date as
 * Nodes change; scanNodes answers them by walking the list).
 */
export interface NodeView {
  /** The first Node named `name`, checked. */
  self(name: string): CheckedNode | undefined;
  /**
   * The `count` winners of rendezvous hashing for `peer` among the names of
   * Ready Nodes matching `selector` (`selectorText` is its canonical text).
   */
  elect(peer: string, selector: Selector, selectorText: string, count: number): readonly string[];
  /**
   * The routes of the Nodes matching `selector`, one per prefix, in
   * routeOrder (selectRoutes); their families; and the problems of those Nodes
   * (except Node `exclude`) and of pod CIDRs claimed twice.
   */
  routes(selector: Selector, selectorText: string, exclude: string): SelectedRoutes;
}

export interface SelectedRoutes {
  readonly routes: RouteSpec[];
  readonly families: ReadonlySet<'ipv4' | 'ipv6'>;
  readonly problems: readonly Problem[];
}

/** A NodeView that answers each question by walking every Node: the reference for node-index.ts. */
export function scanNodes(raw: readonly Node[]): NodeView {
  const nodes = raw.map((n, i) => checkNode(n, i));
  return {
    self: (name) => nodes.find((n) => n.name === name),
    elect: (peer, selector, _text, count) =>
      rendezvous(peer, nodes.filter((n) => n.ready && matches(selector, n.labels)).map((n) => n.name), count),
    routes: (selector, _text, exclude) => {
      const selected = nodes.filter((n) => matches(selector, n.labels));
      const problems: Problem[] = [];
      for (const n of selected) if (n.name !== exclude) problems.push(...n.problems);
      const d = selectRoutes(selected);
      problems.push(...d.problems);
      const families = new Set<'ipv4' | 'ipv6'>();
      if (d.ipv4) families.add('ipv4');
      if (d.ipv6) families.add('ipv6');
      return { routes: d.routes, families, problems };
    },
  };
}

/** Who reports an invalid peer: its listed speakers, else a rendezvous pick (whole cluster if the selector is bad). */
function reportersOfInvalid(raw: BGPPeer, name: string, view: NodeView): readonly string[] {
  const listed = Array.isArray(raw?.spec?.localSpeakers)
    ? raw.spec.localSpeakers.filter((s): s is string => typeof s === 'string' && s !== '')
    : [];
  if (listed.length > 0) return [...new Set(listed)].sort();
  let select: Selector = ALL;
  try {
    select = parseSelector(typeof raw?.spec?.nodeSelector === 'string' ? raw.spec.nodeSelector : '');
  } catch {
    // A bad selector: any Ready node may report it; rendezvous picks which.
  }
  const chosen = view.elect(name, select, formatSelector(select), 1);
  return chosen.length > 0 ? chosen : view.elect(name, ALL, formatSelector(ALL), 1);
}

/** The sessions this node runs and the problems on the way. Pure and deterministic. */
export function desiredState(objects: ObjectSet, nodeName: string, opts: DesiredStateOptions = {}): DesiredState {
  return desiredStateOf(
    { bgpPeers: objects.bgpPeers ?? [], secrets: objects.secrets ?? [], nodes: scanNodes(objects.nodes ?? []) },
    nodeName,
    opts,
  );
}

/**
 * The sessions that can start before every Node is known: those of the
 * BGPPeers listing `nodeName` in spec.localSpeakers (they need only the
 * BGPPeers, the Secrets and this node's Node), from the objects known so
 * far and with routesComplete false, so the speaker holds End-of-RIB until
 * the whole table is given (RFC 4724 §4.1). Returns the problems of that
 * partial state too; no sessions when no BGPPeer lists this node.
 */
export function earlySessions(objects: ObjectSet, nodeName: string, opts: DesiredStateOptions = {}): { sessions: SessionSpec[]; problems: readonly Problem[] } {
  const listed = new Set((objects.bgpPeers ?? []).filter((p) => listedSpeakers(p).includes(nodeName)).map((p) => p.metadata?.name));
  if (listed.size === 0) return { sessions: [], problems: [] };
  const state = desiredState(objects, nodeName, opts);
  const sessions = state.sessions.filter((s) => listed.has(s.name)).map((s) => ({ ...s, routesComplete: false }));
  return { sessions, problems: state.problems };
}

/** The inputs of desiredStateOf: BGPPeers and Secrets as lists (they are few), Nodes behind a NodeView. */
export interface DesiredStateInput {
  readonly bgpPeers: readonly BGPPeer[];
  readonly secrets: readonly Secret[];
  readonly nodes: NodeView;
  /** checkPeer, or a cached equivalent (same results for the same object and index). */
  readonly checkPeer?: typeof checkPeer;
}

/**
 * desiredState over a NodeView: the work per call is one pass over the
 * BGPPeers plus what the view's answers cost, so with an index that keeps
 * its answers (node-index.ts) it does not grow with the number of Nodes.
 */
export function desiredStateOf(input: DesiredStateInput, nodeName: string, opts: DesiredStateOptions = {}): DesiredState {
  const view = input.nodes;
  const check = input.checkPeer ?? checkPeer;
  const me = view.self(nodeName);
  const problems: Problem[] = [];
  const speakerFor: string[] = [];
  const candidates: { peer: CheckedPeer; md5Key?: string }[] = [];

  input.bgpPeers.forEach((raw, i) => {
    const r = check(raw, i);
    if (!r.peer) {
      const name = r.problems[0]?.name ?? `#${i + 1}`;
      if (reportersOfInvalid(raw, name, view).includes(nodeName)) {
        speakerFor.push(name);
        problems.push(...r.problems);
      }
      return;
    }
    const peer = r.peer;
    // Rendezvous candidates are Ready nodes matching the selector: a node that
    // is not one cannot be elected, so skip the hashing for it.
    const elected =
      peer.localSpeakers.length > 0
        ? peer.localSpeakers.includes(nodeName)
        : me !== undefined && me.ready && matches(peer.selector, me.labels) &&
          view.elect(peer.name, peer.selector, peer.selectorText, peer.speakerCount).includes(nodeName);
    if (!elected) return;
    speakerFor.push(peer.name);
    problems.push(...r.problems);
    const s = resolveSecret(peer, input.secrets);
    if (s.problem) {
      problems.push(s.problem);
      return;
    }
    candidates.push({ peer, ...(s.md5Key !== undefined ? { md5Key: s.md5Key } : {}) });
  });

  // Options come from the command line: a bad one stops every session of this node.
  const bad: Problem[] = [];
  const rid = opts.routerId === undefined ? undefined : parseIP(opts.routerId);
  if (opts.routerId !== undefined && (rid?.family !== 'ipv4' || rid.unspecified)) {
    bad.push(problem('Node', nodeName, 'routerId', `${JSON.stringify(opts.routerId)} is not a non-zero IPv4 address (RFC 6286 §2.1)`));
  }
  const la = opts.localAddress === undefined ? undefined : parseIP(opts.localAddress);
  if (opts.localAddress !== undefined && !la) {
    bad.push(problem('Node', nodeName, 'localAddress', `${JSON.stringify(opts.localAddress)} is not an IP address`));
  }
  if (bad.length > 0 && candidates.length > 0) {
    return { sessions: [], problems: sortProblems([...problems, ...bad]), speakerFor: speakerFor.sort() };
  }

  let routerId = rid?.text ?? me?.ipv4;
  if (routerId === undefined && me?.ipv6) routerId = routerIdFromIPv6(parseIP(me.ipv6)!.bytes);
  if (candidates.length > 0 && me) problems.push(...me.problems);
  if (candidates.length > 0 && routerId === undefined) {
    problems.push(
      problem('Node', nodeName, 'status.addresses',
        me ? 'has no InternalIP to use as BGP Identifier; give a router ID' : 'not found, and no router ID given; no session can start'),
    );
    return { sessions: [], problems: sortProblems(problems), speakerFor: speakerFor.sort() };
  }

  // One session per peer address and port: the first name wins.
  candidates.sort((a, b) => (a.peer.name < b.peer.name ? -1 : a.peer.name > b.peer.name ? 1 : 0));
  const winners = new Map<string, string>();
  const routeCache = new Map<string, SelectedRoutes>();
  const sessions: SessionSpec[] = [];
  for (const { peer, md5Key } of candidates) {
    const key = `${peer.peerAddress}|${peer.peerPort}`;
    const winner = winners.get(key);
    if (winner !== undefined) {
      problems.push(conflictProblem(peer.name, winner, peer.peerAddress, peer.peerPort, [nodeName]));
      continue;
    }
    winners.set(key, peer.name);

    let r = routeCache.get(peer.selectorText);
    if (!r) {
      r = view.routes(peer.selector, peer.selectorText, nodeName);
      problems.push(...r.problems);
      routeCache.set(peer.selectorText, r);
    }
    const families = new Set(r.families).add(peer.family);
    const localAddress = la?.text ?? (peer.family === 'ipv4' ? me?.ipv4 : me?.ipv6);
    sessions.push({
      name: peer.name,
      peerAddress: peer.peerAddress,
      peerPort: peer.peerPort,
      ...(localAddress !== undefined ? { localAddress } : {}),
      localAs: peer.localAs,
      peerAs: peer.peerAs,
      routerId: routerId!,
      holdTime: peer.holdTime,
      ...(peer.keepaliveTime !== undefined ? { keepaliveTime: peer.keepaliveTime } : {}),
      connectRetryTime: peer.connectRetryTime,
      ...(md5Key !== undefined ? { md5Key } : {}),
      gracefulRestart: { ...peer.gracefulRestart },
      ...(peer.ebgpMultihop !== undefined ? { ebgpMultihop: peer.ebgpMultihop } : {}),
      ...(peer.maxPrefixes !== undefined ? { maxPrefixes: peer.maxPrefixes } : {}),
      families: (['ipv4', 'ipv6'] as const).filter((f) => families.has(f)),
      routes: r.routes,
    });
  }
  return { sessions, problems: sortProblems(problems), speakerFor: speakerFor.sort() };
}
