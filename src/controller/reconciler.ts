// Level-triggered glue between object sources (YAML file, API informers)
// and the speaker: every change of the objects marks the state dirty; once
// per turn of the event loop the desired state is recomputed and handed to
// speaker.sync(), which applies only the difference. Bursts of watch events
// thus become one sync, never one job per event.
//
// The desired state comes from a DesiredStateEngine (incremental.ts): a
// source hands over a whole object set (update) or changes single objects
// in the engine and calls changed(); either way the recomputation costs work
// for the objects that changed, not for every Node. A session's route list
// is the same array object as long as its routes did not change, so the
// speaker does not even diff it; nothing here compares lists element by
// element.
//
// A whole object set from the file source keeps every unchanged object, so
// its Node list differs from the previous one in a stretch: update() finds
// the common head and tail by identity (a pass of pointer comparisons) and
// hands the engine only the Nodes of the stretch (put, delete), instead of
// a lookup and a comparison per Node (replaceNodes). That needs unique
// names, which the file source and the API server give; a list with a
// repeated or missing name goes to replaceNodes.

import type Logger from 'bunyan';
import type { SessionSpec } from '../bgp/index.js';
import type { DesiredState, DesiredStateOptions } from './desired-state.js';
import { DesiredStateEngine } from './incremental.js';
import type { Node, ObjectSet, Problem } from './resources.js';

/** What the reconciler needs of the speaker. */
export interface SessionSink {
  sync(specs: readonly SessionSpec[]): void;
}

export interface ReconcilerOptions extends DesiredStateOptions {
  readonly speaker: SessionSink;
  readonly nodeName: string;
  readonly log: Logger;
  /** Called after every recomputation with the new desired state (status, events, readiness). */
  readonly onDesired?: (state: DesiredState) => void;
}

export class Reconciler {
  /** The objects the desired state is computed from; change them, then call changed(). */
  readonly engine: DesiredStateEngine;
  private pending: ObjectSet | null = null;
  private hasInput = false;
  private scheduled = false;
  private lastState: DesiredState | null = null;
  private reported = new Set<string>();
  /** The Node list the engine holds, when its names are unique and set; else null. */
  private nodes: readonly Node[] | null = null;

  constructor(private readonly options: ReconcilerOptions) {
    const { routerId, localAddress } = options;
    this.engine = new DesiredStateEngine(options.nodeName, {
      ...(routerId !== undefined ? { routerId } : {}),
      ...(localAddress !== undefined ? { localAddress } : {}),
    });
  }

  /** The latest complete object set; applied on the next turn of the event loop. */
  update(objects: ObjectSet): void {
    this.pending = objects;
    this.changed();
  }

  /** The engine's objects changed: recompute on the next turn of the event loop. */
  changed(): void {
    this.hasInput = true;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.apply();
    });
  }

  /**
   * Applies the pending objects now (start-up, tests). `computed` is their
   * desired state when the caller already has it (standalone checks it
   * before starting), so it is not computed twice.
   */
  apply(computed?: DesiredState): DesiredState | null {
    if (!this.hasInput) return this.lastState;
    // Applied now: the turn scheduled by update() finds nothing new.
    this.hasInput = false;
    const { log } = this.options;
    const started = performance.now();
    if (this.pending) {
      this.engine.setBgpPeers(this.pending.bgpPeers ?? []);
      this.engine.setSecrets(this.pending.secrets ?? []);
      this.setNodes(this.pending.nodes ?? []);
      this.pending = null;
    }
    const state = computed ?? this.engine.compute();
    const { sessions } = state;
    this.logProblems(state.problems);
    this.options.speaker.sync(sessions);
    this.lastState = state;
    log.debug(
      { sessions: sessions.length, routes: sessions.reduce((n, s) => n + s.routes.length, 0), ms: +(performance.now() - started).toFixed(1) },
      'desired state applied',
    );
    this.options.onDesired?.(this.lastState);
    return this.lastState;
  }

  /** Makes the engine hold `nodes`: by patching the stretch that changed, else whole. */
  private setNodes(nodes: readonly Node[]): void {
    if (this.nodes !== null && this.patchNodes(this.nodes, nodes)) {
      this.nodes = nodes;
      return;
    }
    this.engine.replaceNodes(nodes);
    const names = new Set<unknown>();
    for (const n of nodes) {
      const name: unknown = n?.metadata?.name;
      if (typeof name !== 'string' || name === '' || names.has(name)) {
        this.nodes = null;
        return;
      }
      names.add(name);
    }
    this.nodes = nodes;
  }

  /**
   * Puts and deletes the Nodes between the common head and tail of `before`
   * (held by the engine, unique names) and `after`; false when `after` may
   * repeat or lack a name (the engine must then replace the whole list).
   */
  private patchNodes(before: readonly Node[], after: readonly Node[]): boolean {
    const m = Math.min(before.length, after.length);
    let head = 0;
    while (head < m && before[head] === after[head]) head++;
    let tail = 0;
    while (tail < m - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
    const joined = new Set<string>();
    for (let i = head; i < after.length - tail; i++) {
      const name: unknown = after[i]?.metadata?.name;
      if (typeof name !== 'string' || name === '' || joined.has(name)) return false;
      joined.add(name);
    }
    for (let i = head; i < before.length - tail; i++) {
      const name = before[i]!.metadata!.name!;
      if (!joined.has(name)) this.engine.deleteNode(name);
    }
    for (let i = head; i < after.length - tail; i++) this.engine.putNode(after[i]!);
    // Fewer Nodes than names: one of the stretch has the name of one outside
    // it and put replaced that one; the caller replaces the whole list.
    return this.engine.nodeCount === after.length;
  }

  get state(): DesiredState | null {
    return this.lastState;
  }

  /** Logs each problem once while it lasts, so a reload does not repeat old news. */
  private logProblems(problems: readonly Problem[]): void {
    const now = new Set(problems.map((p) => p.line));
    for (const p of problems) {
      if (this.reported.has(p.line)) continue;
      const fields = { kind: p.kind, name: p.name, field: p.field, reason: p.reason, problem: p.line };
      if (p.severity === 'warning') this.options.log.warn(fields, 'configuration warning');
      else this.options.log.error(fields, 'configuration problem');
    }
    this.reported = now;
  }
}
