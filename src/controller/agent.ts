// The in-cluster agent (`bgp-speaker run`), usable in-process: informers ->
// Reconciler -> Speaker, and back from the speaker to BGPPeer status and
// Events. Several agents with distinct node names can run in one process
// (tests do).
//
// API server load stays flat in large clusters: an agent that speaks for no
// BGPPeer watches only BGPPeers and its own Node (field selector
// metadata.name=<node>). It starts the all-Nodes and kube-system Secrets
// informers only when it may be a speaker — it is listed in some
// localSpeakers, or some BGPPeer elects by rendezvous hashing among nodes
// that include this one (that election needs every candidate Node) — and
// stops them when that ends. While they are listing for the first time the
// desired state is held, so a half-filled cache never withdraws a route or
// reports a missing Secret.
//
// While the API server is unreachable the informers keep their caches, so
// the sessions and routes stay as they are (graceful restart, RFC 4724, is
// for the speaker's own restarts; an API outage needs no BGP change at all).
//
// Per watch event the work does not grow with the cluster: the Nodes that
// changed (Informer.takeChanged) go one by one into the reconciler's engine,
// which re-derives only those; the whole Node set is handed over only when
// the all-Nodes informer has (re)started.
//
// Early start (early-start.ts): before the informers run, plain GETs start
// the sessions of the BGPPeers listing this node with End-of-RIB held (RFC
// 4724 §4.1), and the list of all Nodes they fetch becomes the first whole
// desired state and the Node informer's first list.

import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type Logger from 'bunyan';
import { Speaker, systemClock, type Clock, type SessionEvent, type SessionSpec, type SpeakerOptions } from '../bgp/index.js';
import type { DesiredState, DesiredStateOptions } from './desired-state.js';
import { earlyStart, needsFullView, takePrefetched, type Prefetched } from './early-start.js';
import { EventRecorder, sessionEventRecord } from './events.js';
import { Informer, trimNode, trimOther } from './informers.js';
import { describeApiError, endpointOf, kubeApi, statusCode, type KubeApi, type KubeEndpoint } from './kube.js';
import { Reconciler } from './reconciler.js';
import type { BGPPeer, Node, Problem, Secret } from './resources.js';
import { GROUP, PLURAL, SECRET_NAMESPACE, VERSION, isError } from './resources.js';
import {
  KeyedRateLimiter,
  conditionChanged,
  currentCondition,
  entryKey,
  entryPatch,
  establishedCondition,
  problemEntry,
  rfc3339,
  speakerEntry,
  withCondition,
  type SpeakerEntry,
} from './status.js';

export interface AgentOptions {
  /**
   * The kubeconfig of the watches. A function is called once, when the
   * informers start: loading client-node's KubeConfig loads all of
   * client-node, which the early start does without.
   */
  readonly kubeconfig: KubeConfig | (() => Promise<KubeConfig>);
  /** The API server for plain requests (lists, status, Events); default from the kubeconfig. */
  readonly endpoint?: KubeEndpoint;
  /** Start the sessions of BGPPeers listing this node before all Nodes are known (default true). */
  readonly earlyStart?: boolean;
  readonly nodeName: string;
  readonly log: Logger;
  /** Options of the Speaker the agent builds (listener, clock, transport). */
  readonly speakerOptions?: Omit<SpeakerOptions, 'log'>;
  /** API calls; default client-node through the kubeconfig. */
  readonly api?: KubeApi;
  /** BGP Identifier instead of the Node's IPv4 InternalIP. */
  readonly routerId?: string;
  /** Source address instead of the Node's InternalIP. */
  readonly localAddress?: string;
  /** TCP connect timeout of every session, seconds (default the speaker's, 30). */
  readonly connectTimeout?: number;
  /** Minimum time between two status patches of one BGPPeer; default 1000 ms. */
  readonly statusIntervalMs?: number;
  /** How often prefix counts are re-read for status; default 5000 ms. */
  readonly statusRefreshMs?: number;
  /** Minimum time between two writes of one Event; default 1000 ms. */
  readonly eventIntervalMs?: number;
  /** Informer retry backoff after an API error; default 1 s doubling to 30 s. */
  readonly informerBackoff?: { readonly firstMs: number; readonly maxMs: number };
  /** Clock of the rate limiters; default the system clock. */
  readonly clock?: Clock;
}

export interface AgentState {
  readonly node: string;
  /** Sessions started early (before every Node was known), until the whole desired state is applied. */
  readonly early: readonly string[];
  /** Watching all Nodes and the Secrets: this node speaks or may be elected. */
  readonly fullView: boolean;
  readonly speakerFor: readonly string[];
  readonly problems: readonly string[];
  readonly informers: Readonly<Record<string, { running: boolean; synced: boolean; lastError?: string }>>;
}

export interface Agent {
  readonly speaker: Speaker;
  readonly reconciler: Reconciler;
  /** The informers have listed once and the desired state was applied. */
  ready(): boolean;
  state(): AgentState;
  /** 'graceful' on SIGTERM (the peer keeps our routes), 'deconfigure' to withdraw. */
  stop(mode?: 'graceful' | 'deconfigure'): Promise<void>;
}

/** Problems that concern one BGPPeer on this node: its own, and errors of Nodes and Secrets that stop its session. */
function problemsOf(peer: string, problems: readonly Problem[]): Problem[] {
  return problems.filter((p) => (p.kind === 'BGPPeer' ? p.name === peer : isError(p)));
}

interface PeerBook {
  uid?: string;
  /** Entry text last written (or seen on the server at start); '' = none. */
  sentEntry?: string;
  sentCondition?: { key: string; at: number };
  /** The problem that keeps this node's session from being created, and since when. */
  blocking?: { line: string; since: number };
  /** Problem lines already reported as Events while they last. */
  reported: Set<string>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const { nodeName: node, log: baseLog } = options;
  const log = baseLog.child({ node });
  const given = options.kubeconfig;
  let kcPromise: Promise<KubeConfig> | null = null;
  const kubeconfig = (): Promise<KubeConfig> => (kcPromise ??= typeof given === 'function' ? given() : Promise.resolve(given));
  const api = options.api ?? kubeApi(options.endpoint ?? endpointOf(await kubeconfig()));
  const clock = options.clock ?? systemClock;
  const speaker = new Speaker({ ...(options.speakerOptions ?? {}), log });
  const connectTimeout = options.connectTimeout;
  const sink = {
    sync: (specs: readonly SessionSpec[]) =>
      speaker.sync(connectTimeout === undefined ? specs : specs.map((s) => ({ ...s, connectTimeout }))),
  };

  let stopping = false;
  let lastState: DesiredState | null = null;
  let speakerFor = new Set<string>();
  const books = new Map<string, PeerBook>();
  const book = (name: string): PeerBook => {
    let b = books.get(name);
    if (!b) {
      b = { reported: new Set() };
      books.set(name, b);
    }
    return b;
  };

  const events = new EventRecorder({ api, node, log, clock, ...(options.eventIntervalMs !== undefined ? { intervalMs: options.eventIntervalMs } : {}) });

  /** Lists made by the early start, each handed to its informer as the first list. */
  const prefetched: Prefetched = {};
  /** resourceVersion=0 for an informer's first list: the API server may answer from its watch cache. */
  const rv = (first: boolean) => (first ? { resourceVersion: '0' } : {});
  const informerCommon = {
    kubeconfig,
    log,
    onChange: () => evaluate(),
    ...(options.informerBackoff ? { backoff: options.informerBackoff } : {}),
  };
  const peers = new Informer<KubernetesObject>({
    ...informerCommon,
    path: `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    list: (first: boolean, trim?: (o: KubernetesObject) => KubernetesObject) => api.listBGPPeers({ ...rv(first), ...(trim ? { trim } : {}) }),
    trim: trimOther,
  });
  const selfSelector = `metadata.name=${node}`;
  const self = new Informer<KubernetesObject>({
    ...informerCommon,
    path: '/api/v1/nodes',
    fieldSelector: selfSelector,
    list: (first: boolean, trim?: (o: KubernetesObject) => KubernetesObject) =>
      api.listNodes({ fieldSelector: selfSelector, ...rv(first), ...(trim ? { trim } : {}) }),
    trim: trimNode,
  });
  const nodes = new Informer<KubernetesObject>({
    ...informerCommon,
    path: '/api/v1/nodes',
    list: (first, trim) => takePrefetched(prefetched, 'nodes', first) ?? api.listNodes({ ...rv(first), ...(trim ? { trim } : {}) }),
    trim: trimNode,
  });
  const secrets = new Informer<KubernetesObject>({
    ...informerCommon,
    path: `/api/v1/namespaces/${SECRET_NAMESPACE}/secrets`,
    list: (first, trim) => takePrefetched(prefetched, 'secrets', first) ?? api.listSecrets({ ...rv(first), ...(trim ? { trim } : {}) }),
    trim: trimOther,
  });
  let fullView = false;
  /** Names of the sessions the early start began, until the reconciler applies the whole state. */
  let early: string[] = [];
  /** The BGPPeers the early start listed: Events name their uid before the informer has them. */
  let earlyPeers = new Map<string, BGPPeer>();
  const peerOf = (name: string): BGPPeer | undefined => (peers.get(name) as unknown as BGPPeer | undefined) ?? earlyPeers.get(name);

  const desiredOptions: DesiredStateOptions = {
    ...(options.routerId !== undefined ? { routerId: options.routerId } : {}),
    ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
  };
  const reconciler = new Reconciler({
    speaker: sink,
    nodeName: node,
    log,
    ...desiredOptions,
    onDesired: (state) => onDesired(state),
  });
  const engine = reconciler.engine;
  /**
   * Which Nodes the engine holds: none yet, the early start's list of all
   * Nodes (the Node informer's first list, once it runs), this Node only, or
   * the all-Nodes informer's (kept by its events).
   */
  let nodeFeed: 'none' | 'listed' | 'self' | 'all' = 'none';

  function evaluate(): void {
    if (stopping || !peers.synced || !self.synced) return;
    earlyPeers.clear();
    const bgpPeers = peers.list() as unknown as BGPPeer[];
    const me = (self.get(node) ?? nodes.get(node)) as unknown as Node | undefined;
    const want = needsFullView(bgpPeers, node, me);
    if (!want) {
      prefetched.nodes = undefined;
      prefetched.secrets = undefined;
    }
    if (want !== fullView) {
      fullView = want;
      log.info({ fullView: want }, want ? 'may speak for a BGPPeer: watching Nodes and Secrets' : 'speaks for no BGPPeer: watching only BGPPeers and this Node');
      if (want) {
        void nodes.start();
        void secrets.start();
      } else {
        void nodes.stop();
        void secrets.stop();
      }
    }
    if (fullView) {
      // Hold until both caches are complete: a partial Node list would withdraw routes.
      if (!nodes.synced || !secrets.synced) return;
      if (nodeFeed !== 'all') {
        nodes.takeChanged();
        engine.replaceNodes(nodes.list() as unknown as Node[]);
        nodeFeed = 'all';
      } else {
        for (const name of nodes.takeChanged()) {
          const n = nodes.get(name) as unknown as Node | undefined;
          if (n) engine.putNode(n);
          else engine.deleteNode(name);
        }
      }
      engine.setSecrets(secrets.list() as unknown as Secret[]);
    } else {
      engine.replaceNodes(me ? [me] : []);
      nodeFeed = 'self';
      engine.setSecrets([]);
    }
    engine.setBgpPeers(bgpPeers);
    reconciler.changed();
  }

  function onDesired(state: DesiredState): void {
    if (stopping) return;
    if (early.length > 0) log.info({ sessions: early }, 'early start: the whole desired state is applied');
    early = [];
    lastState = state;
    const now = Date.now();
    const next = new Set(state.speakerFor);
    const sessions = new Set(state.sessions.map((s) => s.name));
    for (const name of next) {
      const b = book(name);
      const peer = peerOf(name);
      const mine = problemsOf(name, state.problems);
      // Events for problems that are new; a problem that goes and comes back is news again.
      const lines = new Set(mine.map((p) => p.line));
      for (const p of mine) {
        if (b.reported.has(p.line)) continue;
        events.record({ name, ...(peer?.metadata?.uid ? { uid: peer.metadata.uid } : {}) }, { type: 'Warning', reason: p.reason, message: `${node}: ${p.line}` });
      }
      b.reported = lines;
      const blocking = sessions.has(name) ? undefined : mine.find((p) => isError(p));
      if (!blocking) b.blocking = undefined;
      else if (b.blocking?.line !== blocking.line) b.blocking = { line: blocking.line, since: now };
      limiter.mark(name);
    }
    // No longer a speaker: remove this node's entry.
    for (const name of speakerFor) if (!next.has(name)) limiter.mark(name);
    speakerFor = next;
  }

  const limiter = new KeyedRateLimiter<string>({
    clock,
    intervalMs: options.statusIntervalMs ?? 1000,
    send: (name) => writeStatus(name),
    onError: (name, err) => log.warn({ peer: name, error: describeApiError(err), code: statusCode(err) }, 'cannot write BGPPeer status; will retry'),
  });

  /** This node's entry for a peer it speaks for, from the session or the problem that blocks it. */
  function ownEntry(name: string, b: PeerBook): SpeakerEntry {
    const s = speaker.status().find((x) => x.name === name);
    if (s) return speakerEntry(s);
    if (b.blocking) return problemEntry({ line: b.blocking.line } as Problem, b.blocking.since);
    return { state: 'Idle', lastTransitionTime: rfc3339(Date.now()), advertisedPrefixes: 0, receivedPrefixes: 0 };
  }

  async function writeStatus(name: string): Promise<void> {
    // Nothing to say before the first whole desired state (the early sessions' own is partial); onDesired marks every peer then.
    if (stopping || lastState === null) return;
    const peer = peerOf(name);
    const b = book(name);
    if (!peer) {
      books.delete(name);
      return;
    }
    if (b.uid !== peer.metadata.uid) {
      // A new object (or first sight): what the server holds is the baseline.
      b.uid = peer.metadata.uid;
      const seen = peer.status?.speakers?.[node];
      b.sentEntry = seen ? entryKey(seen as SpeakerEntry) : '';
      b.sentCondition = undefined;
    }
    const status: Record<string, unknown> = {};
    if (speakerFor.has(name)) {
      const entry = ownEntry(name, b);
      const key = entryKey(entry);
      if (key !== b.sentEntry) status.speakers = { [node]: entryPatch(entry) };
      const elected = engine.electedSpeakers(peer);
      const cond = establishedCondition({
        peer,
        elected,
        speakers: { ...(peer.status?.speakers ?? {}), [node]: entry },
        problems: problemsOf(name, lastState?.problems ?? []).filter(isError),
        previous: currentCondition(peer),
        nowMs: Date.now(),
      });
      const condKey = `${cond.status}|${cond.reason}|${cond.message}|${cond.observedGeneration}`;
      const recent = b.sentCondition && b.sentCondition.key === condKey && clock.now() - b.sentCondition.at < 10_000;
      if (conditionChanged(currentCondition(peer), cond) && !recent) {
        status.conditions = withCondition(peer, cond);
        status.observedGeneration = peer.metadata.generation;
      } else if (peer.metadata.generation !== undefined && peer.status?.observedGeneration !== peer.metadata.generation && !recent) {
        status.observedGeneration = peer.metadata.generation;
      }
      if (Object.keys(status).length === 0) return;
      await patch(name, status);
      if (status.speakers) b.sentEntry = key;
      if (status.conditions) b.sentCondition = { key: condKey, at: clock.now() };
    } else {
      if (b.sentEntry === '' && peer.status?.speakers?.[node] === undefined) return;
      await patch(name, { speakers: { [node]: null } });
      b.sentEntry = '';
    }
  }

  async function patch(name: string, status: Record<string, unknown>): Promise<void> {
    try {
      await api.patchBGPPeerStatus(name, { status });
      log.debug({ peer: name, fields: Object.keys(status) }, 'status written');
    } catch (err) {
      if (statusCode(err) === 404) {
        limiter.forget(name);
        return;
      }
      throw err;
    }
  }

  speaker.on('state', (e: SessionEvent) => {
    if (stopping) return;
    const rec = sessionEventRecord(node, e);
    if (rec) {
      const uid = peerOf(e.name)?.metadata?.uid;
      events.record({ name: e.name, ...(uid ? { uid } : {}) }, rec);
    }
    limiter.mark(e.name);
  });

  // Prefix counts change without a state change: re-read them now and then.
  const refresh = setInterval(() => {
    for (const name of speakerFor) limiter.mark(name);
  }, options.statusRefreshMs ?? 5000);
  refresh.unref();

  await speaker.start();
  if (options.earlyStart !== false) {
    await earlyStart({
      api,
      node,
      log,
      desiredOptions,
      prefetched,
      stopping: () => stopping,
      superseded: () => stopping || reconciler.state !== null,
      peersListed: (list) => (earlyPeers = new Map(list.map((p) => [String(p.metadata?.name), p]))),
      startSessions: (sessions) => {
        early = sessions.map((x) => x.name);
        sink.sync(sessions);
      },
      applyWhole: (objects) => {
        if (nodeFeed !== 'none') return false;
        engine.setBgpPeers(objects.bgpPeers);
        engine.setSecrets(objects.secrets);
        engine.replaceNodes(objects.nodes);
        nodeFeed = 'listed';
        reconciler.changed();
        return true;
      },
    });
  }
  await Promise.all([peers.start(), self.start()]);

  return {
    speaker,
    reconciler,
    ready: () => peers.synced && self.synced && (!fullView || (nodes.synced && secrets.synced)) && reconciler.state !== null,
    state: () => ({
      node,
      early: [...early],
      fullView,
      speakerFor: [...speakerFor].sort(),
      problems: (lastState?.problems ?? []).map((p) => p.line),
      informers: Object.fromEntries(
        (
          [
            ['bgppeers', peers],
            ['node', self],
            ['nodes', nodes],
            ['secrets', secrets],
          ] as const
        ).map(([k, i]) => [k, { running: i.running, synced: i.synced, ...(i.lastError ? { lastError: i.lastError } : {}) }]),
      ),
    }),
    async stop(mode = 'graceful') {
      if (stopping) return;
      stopping = true;
      clearInterval(refresh);
      await Promise.all([peers.stop(), self.stop(), nodes.stop(), secrets.stop()]);
      await speaker.stop(mode);
      await Promise.all([limiter.close(), events.close()]);
      api.close();
    },
  };
}
