// BGPPeer status, computed purely and written sparingly.
//
// - speakerEntry(): one session's SessionStatus -> status.speakers.<node>
//   (state as RFC 4271 §8.2.2 names it, since when, negotiated hold time
//   and RFC 4724 graceful restart, prefix counts, and lastError: why the
//   session is not Established, in words). problemEntry(): a session that
//   could not be created shows Idle with the problem line.
// - establishedCondition(): the Established condition from the whole
//   speakers map as the informer last saw it plus this node's own entry.
//   Every speaker agent computes it from the same data, so they converge.
// - KeyedRateLimiter: at most one send per key per interval, the latest
//   state wins, on an injected clock (tests use FakeClock).
// Each agent writes only status.speakers.<its node> (JSON merge patch,
// RFC 7386: null deletes a member) and the conditions; never another
// node's entry.

import type { Clock, TimerHandle } from '../bgp/index.js';
import type { SessionStatus } from '../bgp/index.js';
import type { BGPPeer, Condition, Problem } from './resources.js';
import { Reason } from './resources.js';

export const CONDITION_TYPE = 'Established';

/** RFC 4724 as negotiated on an Established session (the CRD keeps this object open). */
export interface GracefulRestartStatus {
  /** Both sides sent the capability: the peer keeps our routes while we restart. */
  enabled: boolean;
  local: boolean;
  peer: boolean;
  peerRestartTime?: number;
  /** RFC 8538 N bit on both sides. */
  notification: boolean;
}

/** status.speakers.<node>, as this module writes it (the CRD schema in crds/). */
export interface SpeakerEntry {
  state: SessionStatus['state'];
  lastTransitionTime: string;
  localAddress?: string;
  peerRouterID?: string;
  holdTime?: number;
  gracefulRestart?: GracefulRestartStatus;
  advertisedPrefixes: number;
  receivedPrefixes: number;
  lastError?: string;
}

const ENTRY_FIELDS = [
  'state',
  'lastTransitionTime',
  'localAddress',
  'peerRouterID',
  'holdTime',
  'gracefulRestart',
  'advertisedPrefixes',
  'receivedPrefixes',
  'lastError',
] as const;

/** RFC 3339 with whole seconds, as Kubernetes prints metav1.Time. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** One session's status as the speaker entry. lastError only while the session is not Established. */
export function speakerEntry(s: SessionStatus): SpeakerEntry {
  const e: SpeakerEntry = {
    state: s.state,
    lastTransitionTime: rfc3339(s.since),
    advertisedPrefixes: s.advertisedPrefixes,
    receivedPrefixes: s.receivedPrefixes,
  };
  if (s.localAddress !== undefined) e.localAddress = s.localAddress;
  if (s.peerRouterId !== undefined) e.peerRouterID = s.peerRouterId;
  const n = s.state === 'Established' ? s.negotiated : undefined;
  if (n) {
    e.holdTime = n.holdTime;
    const gr = n.gracefulRestart;
    e.gracefulRestart = {
      enabled: gr.local && gr.peer,
      local: gr.local,
      peer: gr.peer,
      ...(gr.peerRestartTime !== undefined ? { peerRestartTime: gr.peerRestartTime } : {}),
      notification: gr.notification,
    };
  }
  if (s.state !== 'Established' && s.lastError) e.lastError = s.lastError.message;
  return e;
}

/** The entry of a speaker whose session could not be created: Idle, and the problem as lastError. */
export function problemEntry(p: Problem, sinceMs: number): SpeakerEntry {
  return { state: 'Idle', lastTransitionTime: rfc3339(sinceMs), advertisedPrefixes: 0, receivedPrefixes: 0, lastError: p.line };
}

/**
 * The merge-patch value of an entry: every field present, null for the
 * absent ones, so a field that went away (lastError once Established) is
 * deleted on the server rather than left behind (RFC 7386 §2).
 */
export function entryPatch(e: SpeakerEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of ENTRY_FIELDS) out[f] = e[f] ?? null;
  return out;
}

/** A stable text of an entry for "did it change" (field order fixed). */
export function entryKey(e: SpeakerEntry | undefined | null): string {
  if (!e) return '';
  return JSON.stringify(entryPatch(e));
}

export interface ConditionInput {
  readonly peer: BGPPeer;
  /** Elected speakers (localSpeakers, or the rendezvous choice), sorted. */
  readonly elected: readonly string[];
  /** status.speakers as last seen, with this node's entry replaced by its current one. */
  readonly speakers: Readonly<Record<string, { readonly state?: string } | null | undefined>>;
  /** Error problems of this peer that stop its session on this node (InvalidSpec, SecretNotFound). */
  readonly problems: readonly Problem[];
  /** The condition as last seen, to keep lastTransitionTime when the status did not change. */
  readonly previous?: Condition;
  readonly nowMs: number;
}

function list(names: readonly string[]): string {
  return names.join(', ');
}

/**
 * The Established condition. True when every elected speaker reports
 * Established. A spec or Secret problem wins over session states: no
 * session can run until it is fixed. The message names nodes but not their
 * changing states, so retries do not rewrite it.
 */
export function establishedCondition(input: ConditionInput): Condition {
  const { peer, elected, speakers, problems, previous, nowMs } = input;
  const generation = peer.metadata?.generation;
  let status: Condition['status'];
  let reason: string;
  let message: string;
  const invalid = problems.find((p) => p.reason === 'InvalidSpec' && p.severity !== 'warning');
  const secret = problems.find((p) => p.reason === 'SecretNotFound' && p.severity !== 'warning');
  if (invalid) {
    status = 'False';
    reason = Reason.InvalidSpec;
    message = `no session can run: ${invalid.line}`;
  } else if (secret) {
    status = 'False';
    reason = Reason.SecretNotFound;
    message = `no session can run without the TCP MD5 password: ${secret.line}`;
  } else {
    const up = elected.filter((n) => speakers[n]?.state === 'Established');
    const down = elected.filter((n) => speakers[n]?.state !== 'Established');
    const described = down.map((n) => (speakers[n] ? n : `${n} (no status reported: agent not running or Node missing)`));
    if (elected.length === 0) {
      status = 'False';
      reason = Reason.NoneEstablished;
      message = 'no speaker is elected: localSpeakers is empty and no Ready node matches nodeSelector';
    } else if (down.length === 0) {
      status = 'True';
      reason = Reason.AllEstablished;
      message = elected.length === 1 ? `the speaker ${elected[0]} is Established` : `all ${elected.length} speakers are Established: ${list(elected)}`;
    } else if (up.length > 0) {
      status = 'False';
      reason = Reason.PartiallyEstablished;
      message = `${up.length} of ${elected.length} speakers Established (${list(up)}); not Established: ${list(described)}`;
    } else {
      status = 'False';
      reason = Reason.NoneEstablished;
      message = `none of ${elected.length} speakers is Established; not Established: ${list(described)}`;
    }
  }
  const keep = previous && previous.status === status && previous.lastTransitionTime;
  return {
    type: CONDITION_TYPE,
    status,
    reason,
    message,
    lastTransitionTime: keep ? previous.lastTransitionTime! : rfc3339(nowMs),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

/** Whether writing `next` would change what `prev` says (lastTransitionTime aside). */
export function conditionChanged(prev: Condition | undefined, next: Condition): boolean {
  return (
    !prev ||
    prev.status !== next.status ||
    prev.reason !== next.reason ||
    prev.message !== next.message ||
    prev.observedGeneration !== next.observedGeneration
  );
}

/** The Established condition in a BGPPeer's status, if any. */
export function currentCondition(peer: BGPPeer): Condition | undefined {
  const conds = peer.status?.conditions;
  return Array.isArray(conds) ? conds.find((c) => c?.type === CONDITION_TYPE) : undefined;
}

/** status.conditions with ours replaced and other types kept (a merge patch replaces the whole list). */
export function withCondition(peer: BGPPeer, cond: Condition): Condition[] {
  const others = (Array.isArray(peer.status?.conditions) ? peer.status!.conditions! : []).filter((c) => c?.type !== CONDITION_TYPE);
  return [...others, cond];
}

export interface RateLimiterOptions<K> {
  readonly clock: Clock;
  /** Minimum time between the starts of two sends of the same key. */
  readonly intervalMs: number;
  /** Does the work for a key; it reads the latest state itself, so the latest state wins. */
  readonly send: (key: K) => Promise<void>;
  /** Delay before retrying a key whose send threw; default 5 × intervalMs. */
  readonly retryMs?: number;
  readonly onError?: (key: K, err: unknown) => void;
}

interface KeyState {
  lastStart: number;
  inFlight: boolean;
  dirty: boolean;
  timer: TimerHandle | null;
}

/**
 * Per-key rate limit: mark(key) asks for a send; sends of one key start at
 * least intervalMs apart and never overlap; marks that arrive meanwhile
 * collapse into one later send.
 */
export class KeyedRateLimiter<K> {
  private readonly keys = new Map<K, KeyState>();
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: RateLimiterOptions<K>) {}

  mark(key: K): void {
    if (this.closed) return;
    let s = this.keys.get(key);
    if (!s) {
      s = { lastStart: -Infinity, inFlight: false, dirty: false, timer: null };
      this.keys.set(key, s);
    }
    s.dirty = true;
    this.schedule(key, s);
  }

  /** Drops a key's pending send (its object is gone). */
  forget(key: K): void {
    const s = this.keys.get(key);
    if (!s) return;
    s.timer?.cancel();
    s.timer = null;
    s.dirty = false;
    if (!s.inFlight) this.keys.delete(key);
  }

  /** Keys with a send pending or running. */
  get busy(): number {
    let n = 0;
    for (const s of this.keys.values()) if (s.dirty || s.inFlight) n++;
    return n;
  }

  /** Cancels pending sends; resolves when running sends finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.keys.values()) {
      s.timer?.cancel();
      s.timer = null;
      s.dirty = false;
    }
    if ([...this.keys.values()].some((s) => s.inFlight)) await new Promise<void>((r) => this.idle.add(r));
  }

  private schedule(key: K, s: KeyState, delayAtLeast = 0): void {
    if (s.inFlight || s.timer || !s.dirty || this.closed) return;
    const { clock, intervalMs } = this.options;
    const wait = Math.max(delayAtLeast, s.lastStart + intervalMs - clock.now());
    if (wait <= 0) {
      this.run(key, s);
      return;
    }
    s.timer = clock.setTimeout(() => {
      s.timer = null;
      this.schedule(key, s);
    }, wait);
  }

  private run(key: K, s: KeyState): void {
    s.dirty = false;
    s.inFlight = true;
    s.lastStart = this.options.clock.now();
    let failed = false;
    void this.options
      .send(key)
      .catch((err: unknown) => {
        failed = true;
        s.dirty = true;
        this.options.onError?.(key, err);
      })
      .finally(() => {
        s.inFlight = false;
        if (!this.closed) {
          this.schedule(key, s, failed ? (this.options.retryMs ?? 5 * this.options.intervalMs) - (this.options.clock.now() - s.lastStart) : 0);
        } else if (![...this.keys.values()].some((x) => x.inFlight)) {
          for (const r of this.idle) r();
          this.idle.clear();
        }
      });
  }
}
