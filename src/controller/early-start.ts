// The agent's early start: its sessions begin before every Node is known.
//
// The sessions of the BGPPeers that list this node in spec.localSpeakers
// need only the BGPPeers, the Secrets and this node's own Node. Before the
// informers run (they load @kubernetes/client-node, most of a second), plain
// GETs fetch those (kube.ts), and the sessions start with this node's own
// routes and routesComplete false: the speaker holds End-of-RIB (RFC 4724
// §4.1), so a peer keeping our routes as stale from before a restart flushes
// none of them early, and every route the full state adds still comes
// before End-of-RIB. The list of all Nodes starts at the same moment and
// becomes the Node informer's first list; the first desired state the agent
// applies through the reconciler is the whole one, and its sync
// (routesComplete unset) sends the rest and End-of-RIB. Speakers elected by
// nodeSelector need every Node and wait for it; nothing from the early start
// is written to status or Events (the whole state does that).

import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type Logger from 'bunyan';
import type { SessionSpec } from '../bgp/index.js';
import { earlySessions, type DesiredStateOptions } from './desired-state.js';
import { listedSpeakers } from './election.js';
import { trimNode, trimOther } from './informers.js';
import { describeApiError, statusCode, type KubeApi } from './kube.js';
import type { BGPPeer, Node, Secret } from './resources.js';
import { matches, parseSelector } from './selector.js';

type List = KubernetesListObject<KubernetesObject>;

/** Lists made by the early start, each handed to its informer as the first list (and then cleared). */
export interface Prefetched {
  nodes?: Promise<List> | undefined;
  secrets?: Promise<List> | undefined;
}

/**
 * An informer's list made by the early start, taken once: a first list
 * gets it, any later list (and a first list after it was taken) goes to
 * the API server.
 */
export function takePrefetched(prefetched: Prefetched, key: keyof Prefetched, first: boolean): Promise<List> | undefined {
  const p = prefetched[key];
  prefetched[key] = undefined;
  return first ? p : undefined;
}

/**
 * How long the informers wait for the early start (its sessions, and the
 * desired state from the list of all Nodes) before they load client-node,
 * whose loading would compete for the CPU, ms.
 */
export const EARLY_HEAD_START_MS = 3000;

/**
 * Whether this node may speak for some BGPPeer and so needs every Node and
 * the Secrets: listed in localSpeakers, or a rendezvous candidate (Ready
 * and matching nodeSelector, or any node when the selector does not parse:
 * then some node must report it).
 */
export function needsFullView(peers: readonly BGPPeer[], node: string, self: Node | undefined): boolean {
  for (const p of peers) {
    const listed = listedSpeakers(p);
    if (listed.length > 0) {
      if (listed.includes(node)) return true;
      continue;
    }
    let selector;
    try {
      selector = parseSelector(typeof p.spec?.nodeSelector === 'string' ? p.spec.nodeSelector : '');
    } catch {
      return true;
    }
    if (self && matches(selector, self.metadata?.labels)) return true;
  }
  return false;
}

/** What the early start reads from and hands back to the agent. */
export interface EarlyStartHost {
  readonly api: KubeApi;
  readonly node: string;
  readonly log: Logger;
  readonly desiredOptions: DesiredStateOptions;
  /** Filled here; the agent's informers take them as their first lists. */
  readonly prefetched: Prefetched;
  /** The agent is stopping. */
  stopping(): boolean;
  /** The agent is stopping or has applied a desired state: what the early start would do is stale. */
  superseded(): boolean;
  /** The BGPPeers listed: Events name their uid before the informer has them. */
  peersListed(peers: readonly BGPPeer[]): void;
  /** Starts these sessions (routesComplete false) in the speaker. */
  startSessions(sessions: readonly SessionSpec[]): void;
  /**
   * The inputs of the whole desired state, from the lists: true when the
   * agent applied them, false when its engine already had Nodes.
   */
  applyWhole(objects: { bgpPeers: BGPPeer[]; secrets: Secret[]; nodes: Node[] }): boolean;
}

/**
 * GETs the BGPPeers and this Node; when this node may speak, starts the
 * lists of all Nodes and of the Secrets (the informers' first lists), and
 * starts the sessions of the BGPPeers listing this node with what is known.
 */
async function run(host: EarlyStartHost): Promise<void> {
  const { api, node, log, prefetched } = host;
  const [peerList, selfList] = await Promise.all([
    api.listBGPPeers({ resourceVersion: '0', trim: trimOther }),
    api.listNodes({ fieldSelector: `metadata.name=${node}`, resourceVersion: '0', trim: trimNode }),
  ]);
  if (host.superseded()) return;
  const bgpPeers = peerList.items as unknown as BGPPeer[];
  host.peersListed(bgpPeers);
  const me = selfList.items.find((n) => n.metadata?.name === node) as unknown as Node | undefined;
  if (!needsFullView(bgpPeers, node, me)) return;
  const quiet = (p: Promise<List>): Promise<List> => {
    // A failed prefetch is the informer's first list failing: it retries and reports.
    p.catch(() => undefined);
    return p;
  };
  const secretList = (prefetched.secrets = quiet(api.listSecrets({ resourceVersion: '0', trim: trimOther })));
  const listed = new Set(bgpPeers.filter((p) => listedSpeakers(p).includes(node)).map((p) => p.metadata?.name));
  // The Secrets first: the early sessions wait for them, not for the pages of Nodes.
  let nodeList: Promise<List> | undefined;
  if (listed.size === 0 || !me) nodeList = prefetched.nodes = quiet(api.listNodes({ resourceVersion: '0', trim: trimNode }));
  const secretItems = (await secretList).items as unknown as Secret[];
  nodeList ??= prefetched.nodes = quiet(api.listNodes({ resourceVersion: '0', trim: trimNode }));
  if (host.superseded()) return;
  if (listed.size > 0 && me) {
    const { sessions } = earlySessions({ bgpPeers, secrets: secretItems, nodes: [me] }, node, host.desiredOptions);
    if (sessions.length > 0) {
      host.startSessions(sessions);
      log.info(
        { sessions: sessions.map((x) => x.name), routes: sessions.reduce((n, x) => n + x.routes.length, 0) },
        'early start: sessions started before all Nodes are known; End-of-RIB follows them',
      );
    }
  }
  // The whole Node list: the complete desired state, without waiting for client-node and the watches.
  const nodeItems = (await nodeList.then((l) => l.items, () => undefined)) as unknown as Node[] | undefined;
  if (!nodeItems || host.superseded()) return;
  if (!host.applyWhole({ bgpPeers, secrets: secretItems, nodes: nodeItems })) return;
  // The reconciler recomputes on the next turn of the event loop: let it, before the informers start.
  await new Promise<void>((r) => setImmediate(r));
}

/**
 * Runs the early start; resolves when it is done or after
 * EARLY_HEAD_START_MS, whichever is first. Its failure is logged: the
 * sessions then wait for the informers.
 */
export async function earlyStart(host: EarlyStartHost): Promise<void> {
  const started = run(host).catch((err: unknown) => {
    if (!host.stopping()) host.log.warn({ error: describeApiError(err), code: statusCode(err) }, 'early start failed; the sessions wait for the informers');
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([started, new Promise<void>((r) => (timer = setTimeout(r, EARLY_HEAD_START_MS)))]);
  clearTimeout(timer);
}
