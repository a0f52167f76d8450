// Level-triggered glue between object sources (YAML file, API informers)
// and the speaker: every change of the objects marks the state dirty; once
// per turn of the event loop the desired state is recomputed from the whole
// object set and handed to speaker.sync(), which applies only the
// difference. Bursts of watch events thus become one sync, never one job
// per event. Route lists equal to the previous ones are passed by identity,
// so the speaker does not even diff them.

import type Logger from 'bunyan';
import type { SessionSpec } from '../bgp/index.js';
import { desiredState, type DesiredState, type DesiredStateOptions } from './desired-state.js';
import type { ObjectSet, Problem } from './resources.js';

/** What the reconciler needs of the speaker. */
export interface SessionSink {
  sync(specs: readonly SessionSpec[]): void;
}

export interface ReconcilerOptions extends DesiredStateOptions {
  readonly speaker: SessionSink;
  readonly nodeName: string;
  readonly log: Logger;
  /** Called after every recomputation with the new desired state (status, events, readiness). */
  readonly onDesired?: (state: DesiredState, objects: ObjectSet) => void;
}

function sameRoutes(a: SessionSpec['routes'], b: SessionSpec['routes']): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.prefix !== b[i]!.prefix || a[i]!.nextHop !== b[i]!.nextHop) return false;
  }
  return true;
}

export class Reconciler {
  private objects: ObjectSet | null = null;
  private scheduled = false;
  private previous = new Map<string, SessionSpec>();
  private lastState: DesiredState | null = null;
  private reported = new Set<string>();

  constructor(private readonly options: ReconcilerOptions) {}

  /** The latest complete object set; applied on the next turn of the event loop. */
  update(objects: ObjectSet): void {
    this.objects = objects;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.apply();
    });
  }

  /**
   * Applies the pending object set now (start-up, tests). `computed` is its
   * desired state when the caller already has it (standalone checks it
   * before starting), so it is not computed twice.
   */
  apply(computed?: DesiredState): DesiredState | null {
    const objects = this.objects;
    if (!objects) return this.lastState;
    const { nodeName, routerId, localAddress, log } = this.options;
    const started = performance.now();
    const state = computed ?? desiredState(objects, nodeName, { routerId, localAddress });
    const sessions = state.sessions.map((s) => {
      const before = this.previous.get(s.name);
      return before && sameRoutes(before.routes, s.routes) ? { ...s, routes: before.routes } : s;
    });
    this.previous = new Map(sessions.map((s) => [s.name, s]));
    this.logProblems(state.problems);
    this.options.speaker.sync(sessions);
    this.lastState = { ...state, sessions };
    log.debug(
      { sessions: sessions.length, routes: sessions.reduce((n, s) => n + s.routes.length, 0), ms: +(performance.now() - started).toFixed(1) },
      'desired state applied',
    );
    this.options.onDesired?.(this.lastState, objects);
    return this.lastState;
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
