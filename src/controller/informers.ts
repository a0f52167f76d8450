// List + watch of one kind of object that never gives up. client-node's
// ListWatch re-lists after 410 Gone (an expired resourceVersion) but stops
// for good after any other error (API server unreachable, 5xx, a cut
// connection that fails to reconnect); this wrapper starts it again after a
// backoff with jitter, so an agent outlives an API server restart. The cache
// is kept across errors: while the API server is away the last known objects
// stay, and with them the sessions and routes.
//
// Watches carry timeoutSeconds (a random 5 to 10 minutes, as client-go's
// reflector) so a half-open connection cannot hang a watch forever, and ask
// for BOOKMARKs so a resumed watch starts from a recent resourceVersion.
// Objects can be trimmed before they are cached (Nodes carry image lists
// that the agent never reads; a large cluster would pay for them in memory).
//
// The cache is client-node's, updated in place per event. Besides a copy of
// the whole cache (list()), the informer hands out the names of the objects
// that changed since the last takeChanged(), so a consumer can apply one
// event's worth of work instead of re-reading every object.
//
// Lists are the caller's (kube.ts: plain JSON, trimmed page by page); only
// the watch and the cache are client-node's. client-node takes most of a
// second to load, so it is imported by the first start(), not with this
// module: the agent starts its sessions before it needs a watch.

import type { KubeConfig, KubernetesListObject, KubernetesObject, ListWatch } from '@kubernetes/client-node';
import type Logger from 'bunyan';
import { describeApiError, statusCode } from './kube.js';
import type { Node } from './resources.js';

export interface InformerOptions<T extends KubernetesObject> {
  /** The kubeconfig of the watches, loaded when the informer first starts. */
  readonly kubeconfig: () => Promise<KubeConfig>;
  /** Watch path, e.g. /api/v1/nodes. */
  readonly path: string;
  /**
   * Lists every object, applying `trim` to each. `first` is true for the
   * first list after start(): it may be served from the API server's cache
   * (resourceVersion=0) or be one made before; later lists (after 410 Gone)
   * must be current.
   */
  readonly list: (first: boolean, trim: ((obj: T) => T) | undefined) => Promise<KubernetesListObject<T>>;
  readonly fieldSelector?: string;
  readonly log: Logger;
  /** Called (at most once per turn of the event loop) after the cache changed or a list completed. */
  readonly onChange: () => void;
  /** Returns the object to cache; default the object as received. */
  readonly trim?: (obj: T) => T;
  /** Backoff after an error: first delay and cap, ms. Default 1000 and 30000. */
  readonly backoff?: { readonly firstMs: number; readonly maxMs: number };
  readonly random?: () => number;
}

/** Drops what the agent never reads, so a large cluster costs less memory; keeps resourceVersion. */
function trimMeta(m: KubernetesObject['metadata']): KubernetesObject['metadata'] {
  if (!m) return m;
  const { managedFields: _mf, annotations: _a, ownerReferences: _o, ...rest } = m;
  return rest;
}

/** A Node as the agent reads it: pod CIDRs, addresses, the Ready condition (not images, not other conditions). */
export function trimNode(n: KubernetesObject): KubernetesObject {
  const o = n as Node & KubernetesObject;
  const ready = o.status?.conditions?.filter((c) => c?.type === 'Ready');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: trimMeta(o.metadata as KubernetesObject['metadata']),
    spec: { podCIDR: o.spec?.podCIDR, podCIDRs: o.spec?.podCIDRs, unschedulable: o.spec?.unschedulable },
    status: { addresses: o.status?.addresses, conditions: ready },
  } as KubernetesObject;
}

/** A BGPPeer or Secret without the metadata the agent never reads. */
export function trimOther(o: KubernetesObject): KubernetesObject {
  return { ...o, metadata: trimMeta(o.metadata) };
}

type ClientNode = typeof import('@kubernetes/client-node');
type WatchCtor = ClientNode['Watch'];

/** client-node and the Watch subclass below, loaded once per process. */
let loaded: Promise<{ ListWatch: ClientNode['ListWatch']; TrimmingWatch: ReturnType<typeof trimmingWatch> }> | null = null;

function loadClientNode(): NonNullable<typeof loaded> {
  loaded ??= import('@kubernetes/client-node').then((m) => ({ ListWatch: m.ListWatch, TrimmingWatch: trimmingWatch(m.Watch) }));
  return loaded;
}

/** A Watch whose requests carry timeoutSeconds and allowWatchBookmarks, and whose objects are trimmed. */
function trimmingWatch(Watch: WatchCtor) {
  return class TrimmingWatch<T> extends Watch {
    constructor(
      config: KubeConfig,
      private readonly trim: ((obj: T) => T) | undefined,
      private readonly random: () => number,
      private readonly onEvent: () => void,
    ) {
      super(config);
    }

    override watch(
      path: string,
      queryParams: Record<string, unknown>,
      callback: (phase: string, apiObj: any, watchObj?: any) => void,
      done: (err: any) => void,
    ): Promise<AbortController> {
      const timeoutSeconds = 300 + Math.floor(this.random() * 300);
      const trim = this.trim;
      const cb = (phase: string, obj: any, watchObj?: any): void => {
        if (phase !== 'ERROR') this.onEvent();
        const object = trim && (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') ? trim(obj) : obj;
        callback(phase, object, watchObj);
      };
      return super.watch(path, { ...queryParams, timeoutSeconds, allowWatchBookmarks: true }, cb, done);
    }
  };
}

export class Informer<T extends KubernetesObject> {
  private lw: ListWatch<T> | null = null;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private changeScheduled = false;
  /** Counts start() and stop() calls, so a start that finishes loading after a stop() gives up. */
  private generation = 0;
  private listedOnce = false;
  private lastErrorText: string | undefined;
  private changedNames = new Set<string>();
  private readonly random: () => number;

  constructor(private readonly options: InformerOptions<T>) {
    this.random = options.random ?? Math.random;
  }

  /** Starts listing and watching; resolves once the first watch is open or the first attempt failed. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.listedOnce = false;
    const o = this.options;
    const generation = ++this.generation;
    let kubeconfig: KubeConfig;
    let lib: Awaited<ReturnType<typeof loadClientNode>>;
    try {
      [lib, kubeconfig] = await Promise.all([loadClientNode(), o.kubeconfig()]);
    } catch (err) {
      if (generation !== this.generation) return;
      this.lastErrorText = err instanceof Error ? err.message : String(err);
      const retryInMs = o.backoff?.maxMs ?? 30000;
      o.log.error({ path: o.path, error: this.lastErrorText, retryInMs }, 'cannot load the Kubernetes client or the kubeconfig; retrying');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (generation !== this.generation) return;
        this.stopped = true;
        void this.start();
      }, retryInMs);
      return;
    }
    // A stop() (and maybe another start()) came while loading.
    if (generation !== this.generation) return;
    let lists = 0;
    const list = async (): Promise<KubernetesListObject<T>> => {
      const l = await o.list(lists++ === 0, o.trim);
      // ListWatch puts the items into its cache right after this resolves.
      this.healthy();
      setImmediate(() => {
        if (this.stopped) return;
        this.listedOnce = true;
        this.changed();
      });
      return l;
    };
    const lw: ListWatch<T> = new lib.ListWatch<T>(o.path, new lib.TrimmingWatch<T>(kubeconfig, o.trim, this.random, () => this.healthy()), list, false, undefined, o.fieldSelector);
    const onChange = (obj: T): void => {
      if (this.lw !== lw) return;
      const name = obj?.metadata?.name;
      if (typeof name === 'string') this.changedNames.add(name);
      this.changed();
    };
    lw.on('add', onChange);
    lw.on('update', onChange);
    lw.on('delete', onChange);
    lw.on('error', (err: unknown) => this.failed(lw, err));
    this.lw = lw;
    await lw.start().catch((err: unknown) => this.failed(lw, err));
  }

  /** Stops watching and forgets the cache. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const lw = this.lw;
    this.lw = null;
    this.listedOnce = false;
    this.changedNames = new Set();
    await lw?.stop();
  }

  /** The cached objects (empty before the first list). */
  list(): readonly T[] {
    return this.lw ? this.lw.list() : [];
  }

  /**
   * Names of the objects added, changed or deleted since the previous call
   * (get() tells which: undefined means deleted). Forgotten on stop().
   */
  takeChanged(): string[] {
    if (this.changedNames.size === 0) return [];
    const names = [...this.changedNames];
    this.changedNames = new Set();
    return names;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.lw?.get(name, namespace);
  }

  /** The first list completed since start(): the cache is a complete view (possibly stale). */
  get synced(): boolean {
    return this.listedOnce;
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** The last error while listing or watching, until the next successful list or watch event. */
  get lastError(): string | undefined {
    return this.lastErrorText;
  }

  /** A list or a watch event arrived: the API server is back. */
  private healthy(): void {
    if (this.failures > 0) this.options.log.info({ path: this.options.path, fieldSelector: this.options.fieldSelector }, 'list/watch working again');
    this.failures = 0;
    this.lastErrorText = undefined;
  }

  private changed(): void {
    if (this.changeScheduled || this.stopped) return;
    this.changeScheduled = true;
    setImmediate(() => {
      this.changeScheduled = false;
      if (!this.stopped) this.options.onChange();
    });
  }

  private failed(lw: ListWatch<T>, err: unknown): void {
    // stop() aborts the request, which ListWatch reports as an error too.
    if (this.stopped || this.lw !== lw || this.retryTimer) return;
    this.failures++;
    const o = this.options;
    const { firstMs, maxMs } = o.backoff ?? { firstMs: 1000, maxMs: 30000 };
    const ceiling = Math.min(maxMs, firstMs * 2 ** Math.min(this.failures - 1, 20));
    const delay = Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
    this.lastErrorText = describeApiError(err);
    const fields = { path: o.path, fieldSelector: o.fieldSelector, error: this.lastErrorText, code: statusCode(err), retryInMs: delay };
    // The first failure after working is news; repeats are routine while the API server is away.
    if (this.failures === 1) o.log.warn(fields, 'list/watch failed; keeping the cached objects and retrying');
    else o.log.debug(fields, 'list/watch failed again');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped || this.lw !== lw) return;
      // ListWatch keeps its cache and resourceVersion: it resumes the watch, or re-lists after 410.
      lw.start().catch((e: unknown) => this.failed(lw, e));
    }, delay);
  }
}
