// Kubernetes Events on BGPPeers, aggregated. Session transitions become
// FailedEstablish (an attempt failed: TCP refused or silent — possibly a TCP
// MD5 mismatch, RFC 2385 — or a NOTIFICATION, RFC 4271 §6, or the hold timer,
// §6.5), Established and SessionDown; desired-state problems become
// InvalidSpec and SecretNotFound.
//
// A BGPPeer is cluster-scoped, so its Events live in namespace `default`
// (the API server requires that for cluster-scoped involved objects). The
// same reason and message from the same node for the same object is one
// Event with a deterministic name, `<peer>.<hash>`, whose count and
// lastTimestamp grow by JSON merge patch. The name survives a restart of the
// agent: an unknown name is looked up first, and a create that meets 409
// AlreadyExists turns into a patch. Writes of one Event are rate-limited
// (occurrences in between are added to the count), so a flapping session
// never floods the API server.

import { createHash } from 'node:crypto';
import type Logger from 'bunyan';
import type { CoreV1Event } from '@kubernetes/client-node';
import { systemClock, type Clock, type SessionEvent } from '../bgp/index.js';
import { describeApiError, statusCode, type KubeApi } from './kube.js';
import { API_VERSION, KIND, Reason } from './resources.js';
import { KeyedRateLimiter } from './status.js';

export const COMPONENT = 'bgp-speaker';
/** Where Events of cluster-scoped objects go. */
export const EVENT_NAMESPACE = 'default';
/** events.k8s.io/v1 limits note to 1 kB; keep core Events within it too. */
const MAX_MESSAGE = 1024;

export type EventType = 'Normal' | 'Warning';

export interface EventRecord {
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
}

export interface InvolvedPeer {
  readonly name: string;
  readonly uid?: string;
}

/**
 * The Event's name: the peer's name, a dot, and 16 hex digits of SHA-256
 * over (uid, node, reason, message). Same inputs, same name, on every
 * agent start; the uid keeps a re-created BGPPeer from inheriting old counts.
 */
export function eventName(peer: InvolvedPeer, node: string, reason: string, message: string): string {
  const h = createHash('sha256').update([peer.uid ?? '', node, reason, message].join('\0')).digest('hex').slice(0, 16);
  // A DNS subdomain is at most 253 characters.
  return `${peer.name.slice(0, 253 - 17)}.${h}`;
}

/** Cuts a message to the limit on a character boundary. */
export function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}

const ATTEMPT_STATES = new Set(['Connect', 'OpenSent', 'OpenConfirm']);
/** Ends that are decisions, not failures: sync() removed or replaced the session. */
const NOT_FAILURES = new Set(['AdminStop', 'ConfigChanged']);

/** The Event a session transition deserves, if any. Pure. */
export function sessionEventRecord(node: string, e: SessionEvent): EventRecord | undefined {
  const s = e.status;
  if (e.to === 'Established') {
    const n = s.negotiated;
    const details = n
      ? `, hold time ${n.holdTime} s, graceful restart ${n.gracefulRestart.local && n.gracefulRestart.peer ? 'on' : 'off'}`
      : '';
    return {
      type: 'Normal',
      reason: Reason.Established,
      message: `${node}: session with ${s.peerAddress} (AS ${s.peerAs}) established${details}`,
    };
  }
  const err = e.error;
  if (!err || NOT_FAILURES.has(err.reason)) return undefined;
  if (ATTEMPT_STATES.has(e.from)) {
    return { type: 'Warning', reason: Reason.FailedEstablish, message: clip(`${node}: ${err.message}`) };
  }
  if (e.from === 'Established') {
    return { type: 'Warning', reason: Reason.SessionDown, message: clip(`${node}: session with ${s.peerAddress} went down: ${err.message}`) };
  }
  return undefined;
}

export interface EventRecorderOptions {
  readonly api: Pick<KubeApi, 'getEvent' | 'createEvent' | 'patchEvent'>;
  readonly node: string;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Wall clock for timestamps, ms since the epoch. */
  readonly wallClock?: () => number;
  /** Minimum time between two writes of the same Event; default 1000 ms. */
  readonly intervalMs?: number;
  readonly namespace?: string;
}

interface Aggregate {
  readonly name: string;
  readonly involved: InvolvedPeer;
  readonly record: EventRecord;
  /** Occurrences not yet written. */
  pending: number;
  /** The count on the server as last written or read; undefined until known. */
  count?: number;
  /** First occurrence among the pending ones. */
  firstPending: number;
  lastSeen: number;
}

/** How many Events to remember; the oldest idle ones are forgotten beyond this. */
const MAX_TRACKED = 1024;

export class EventRecorder {
  private readonly events = new Map<string, Aggregate>();
  private readonly limiter: KeyedRateLimiter<string>;
  private readonly wallClock: () => number;
  private readonly namespace: string;

  constructor(private readonly options: EventRecorderOptions) {
    this.wallClock = options.wallClock ?? Date.now;
    this.namespace = options.namespace ?? EVENT_NAMESPACE;
    this.limiter = new KeyedRateLimiter<string>({
      clock: options.clock ?? systemClock,
      intervalMs: options.intervalMs ?? 1000,
      send: (name) => this.flush(name),
      onError: (name, err) =>
        options.log.warn({ event: name, error: describeApiError(err), code: statusCode(err) }, 'cannot write event; will retry'),
    });
  }

  /** Counts one occurrence; the write happens now or after the rate limit. */
  record(peer: InvolvedPeer, record: EventRecord): void {
    const name = eventName(peer, this.options.node, record.reason, record.message);
    let a = this.events.get(name);
    if (!a) {
      a = { name, involved: peer, record, pending: 0, firstPending: 0, lastSeen: 0 };
      this.events.set(name, a);
      this.prune();
    }
    const now = this.wallClock();
    if (a.pending === 0) a.firstPending = now;
    a.pending++;
    a.lastSeen = now;
    this.options.log.debug({ peer: peer.name, reason: record.reason, event: name }, 'event');
    this.limiter.mark(name);
  }

  /** Writes still pending or running. */
  get busy(): number {
    return this.limiter.busy;
  }

  async close(): Promise<void> {
    await this.limiter.close();
  }

  private prune(): void {
    if (this.events.size <= MAX_TRACKED) return;
    const idle = [...this.events.values()].filter((a) => a.pending === 0).sort((x, y) => x.lastSeen - y.lastSeen);
    for (const a of idle.slice(0, this.events.size - MAX_TRACKED)) {
      this.events.delete(a.name);
      this.limiter.forget(a.name);
    }
  }

  private async flush(name: string): Promise<void> {
    const a = this.events.get(name);
    if (!a || a.pending === 0) return;
    const n = a.pending;
    a.pending = 0;
    try {
      await this.write(a, n);
    } catch (err) {
      a.pending += n;
      throw err;
    }
  }

  private async write(a: Aggregate, n: number): Promise<void> {
    const { api } = this.options;
    const ns = this.namespace;
    const last = new Date(a.lastSeen).toISOString();
    if (a.count === undefined) {
      a.count = await this.serverCount(a);
    }
    if (a.count === 0) {
      try {
        await api.createEvent(ns, this.newEvent(a, n, last));
        a.count = n;
        return;
      } catch (err) {
        if (statusCode(err) !== 409) throw err;
        // Another write (an earlier run of this agent) got there first.
        a.count = await this.serverCount(a);
        if (a.count === 0) {
          a.count = undefined;
          throw err;
        }
      }
    }
    try {
      await api.patchEvent(ns, a.name, { count: a.count + n, lastTimestamp: last });
      a.count += n;
    } catch (err) {
      // Events expire (the API server's --event-ttl, 1 h by default): start a new one.
      if (statusCode(err) === 404) a.count = undefined;
      throw err;
    }
  }

  /** The count of the Event on the server; 0 when there is none. */
  private async serverCount(a: Aggregate): Promise<number> {
    try {
      const ev = await this.options.api.getEvent(this.namespace, a.name);
      return typeof ev.count === 'number' && ev.count > 0 ? ev.count : 1;
    } catch (err) {
      if (statusCode(err) === 404) return 0;
      throw err;
    }
  }

  private newEvent(a: Aggregate, count: number, last: string): CoreV1Event {
    const node = this.options.node;
    const first = new Date(a.firstPending);
    return {
      metadata: { name: a.name, namespace: this.namespace },
      involvedObject: {
        apiVersion: API_VERSION,
        kind: KIND,
        name: a.involved.name,
        ...(a.involved.uid !== undefined ? { uid: a.involved.uid } : {}),
      },
      type: a.record.type,
      reason: a.record.reason,
      message: a.record.message,
      count,
      firstTimestamp: first,
      lastTimestamp: new Date(last),
      source: { component: COMPONENT, host: node },
      reportingComponent: COMPONENT,
      reportingInstance: `${COMPONENT}-${node}`.slice(0, 128),
    };
  }
}
