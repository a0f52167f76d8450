// The test API server's storage: objects in memory under one global,
// monotonically increasing resourceVersion (as etcd's revision), plus the
// history of changes that watches replay. compact() forgets the history, so
// a watch from an older resourceVersion gets 410 Gone, as after an etcd
// compaction.

import { randomUUID } from 'node:crypto';
import type { ResourceDef } from './resources.js';

export type Obj = Record<string, any>;

export interface Change {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  plural: string;
  rv: number;
  object: Obj;
  /** The object before a MODIFIED or DELETED change. */
  old?: Obj;
}

export class GoneError extends Error {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class Store {
  private revision = 0;
  /** Changes at or below this revision are forgotten. */
  private compacted = 0;
  private history: Change[] = [];
  private readonly objects = new Map<string, Map<string, Obj>>();
  private readonly listeners = new Set<(c: Change) => void>();
  /** Per resource, its stored objects sorted by key; dropped when one of them changes. */
  private readonly sorted = new Map<string, Obj[]>();

  constructor(
    readonly resources: ResourceDef[],
    /** History kept before the oldest entries are compacted away. */
    private readonly maxHistory = 10000,
  ) {
    for (const r of resources) this.objects.set(r.plural, new Map());
  }

  get resourceVersion(): number {
    return this.revision;
  }

  /** Finds a resource by kind, plural, singular or short name (any case). */
  resolve(kind: string): ResourceDef {
    const k = kind.toLowerCase();
    const def = this.resources.find(
      (r) => r.kind.toLowerCase() === k || r.plural === k || r.singular === k || r.shortNames.includes(k),
    );
    if (!def) throw new Error(`unknown resource ${kind}`);
    return def;
  }

  private key(ns: string, name: string): string {
    return `${ns}/${name}`;
  }

  /** A copy of the stored object, or undefined. */
  get(kind: string, ns: string, name: string): Obj | undefined {
    const def = this.resolve(kind);
    const obj = this.objects.get(def.plural)!.get(this.key(def.namespaced ? ns : '', name));
    return obj && structuredClone(obj);
  }

  /** Copies of the objects of a resource, in one namespace or all, sorted by namespace and name. */
  list(kind: string, ns?: string): Obj[] {
    const def = this.resolve(kind);
    const out = [...this.objects.get(def.plural)!.entries()]
      .filter(([k]) => ns === undefined || !def.namespaced || k.startsWith(`${ns}/`))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => structuredClone(v));
    return out;
  }

  /**
   * The stored objects of a resource (not copies: callers read them and copy
   * what they hand out), in one namespace or all, sorted by namespace and
   * name. The sorted array is kept until the resource changes, so a paged
   * list of a large resource costs one sort, not one per page.
   */
  scan(kind: string, ns?: string): readonly Obj[] {
    const def = this.resolve(kind);
    let all = this.sorted.get(def.plural);
    if (!all) {
      all = [...this.objects.get(def.plural)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
      this.sorted.set(def.plural, all);
    }
    return ns === undefined || !def.namespaced ? all : all.filter((o) => o.metadata.namespace === ns);
  }

  /**
   * Test setup: stores obj as given (no validation), filling in kind,
   * apiVersion, name, namespace, uid and creationTimestamp when absent.
   * Watchers see ADDED or MODIFIED.
   */
  put(kind: string, ns: string, name: string, obj: Obj): Obj {
    const def = this.resolve(kind);
    const o = structuredClone(obj);
    const old = this.get(kind, ns, name);
    o.apiVersion ??= def.group ? `${def.group}/${def.version}` : def.version;
    o.kind ??= def.kind;
    o.metadata = { ...(o.metadata ?? {}), name };
    if (def.namespaced) o.metadata.namespace = ns;
    else delete o.metadata.namespace;
    o.metadata.uid ??= old?.metadata.uid ?? randomUUID();
    o.metadata.creationTimestamp ??= old?.metadata.creationTimestamp ?? timestamp();
    if (def.crd) o.metadata.generation ??= old ? old.metadata.generation : 1;
    return this.commit(def, old ? 'MODIFIED' : 'ADDED', o, old);
  }

  /** Test setup: removes an object; watchers see DELETED. Returns whether it existed. */
  delete(kind: string, ns: string, name: string): boolean {
    const def = this.resolve(kind);
    const old = this.get(kind, ns, name);
    if (!old) return false;
    this.commit(def, 'DELETED', structuredClone(old), old);
    return true;
  }

  /** Records a change under the next revision and tells the watchers. Returns a copy of the stored object. */
  commit(def: ResourceDef, type: Change['type'], obj: Obj, old?: Obj): Obj {
    this.revision++;
    obj.metadata.resourceVersion = String(this.revision);
    const key = this.key(def.namespaced ? obj.metadata.namespace : '', obj.metadata.name);
    const bucket = this.objects.get(def.plural)!;
    this.sorted.delete(def.plural);
    if (type === 'DELETED') bucket.delete(key);
    else bucket.set(key, structuredClone(obj));
    const change: Change = { type, plural: def.plural, rv: this.revision, object: structuredClone(obj), old };
    this.history.push(change);
    if (this.history.length > this.maxHistory) {
      const dropped = this.history.splice(0, this.history.length - this.maxHistory);
      this.compacted = dropped[dropped.length - 1].rv;
    }
    for (const l of this.listeners) l(change);
    return structuredClone(obj);
  }

  /** Changes after rv; GoneError when some of them were compacted away. */
  changesSince(rv: number): Change[] {
    if (rv < this.compacted) throw new GoneError(rv, this.compacted + 1);
    return this.history.filter((c) => c.rv > rv);
  }

  /** Forgets all history: watches from any resourceVersion before now get 410 Gone. */
  compact(): void {
    this.compacted = this.revision;
    this.history = [];
  }

  subscribe(listener: (c: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
