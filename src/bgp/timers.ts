// Timer helpers on the injected clock: a restartable one-shot timer and the
// reconnect backoff. RFC 4271 §8.1.1 leaves the retry policy to the
// implementation ("DampPeerOscillations"); ours is exponential with jitter:
// the first retry comes within 5 s, later ones double up to ConnectRetryTime
// (default 120 s), and a random half of each delay spreads out speakers that
// lost the same switch at the same moment.

import type { Clock, TimerHandle } from './clock.js';

/** A named one-shot timer that can be (re)started and stopped; safe to stop twice. */
export class Timer {
  private handle: TimerHandle | null = null;
  private deadline = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: () => void,
  ) {}

  get running(): boolean {
    return this.handle !== null;
  }

  /** Milliseconds until expiry, or null when stopped. */
  remaining(): number | null {
    return this.handle ? Math.max(0, this.deadline - this.clock.now()) : null;
  }

  start(ms: number): void {
    this.stop();
    this.deadline = this.clock.now() + ms;
    this.handle = this.clock.setTimeout(() => {
      this.handle = null;
      this.onExpire();
    }, ms);
  }

  stop(): void {
    this.handle?.cancel();
    this.handle = null;
  }
}

/**
 * A hold timer that is restarted on every message without touching the clock
 * each time: it remembers the last restart and, when the armed timer fires
 * early, re-arms for the rest (RFC 4271 §4.4: restarted on each KEEPALIVE
 * or UPDATE; an UPDATE burst of 100,000 routes must not mean 100,000 timers).
 */
export class HoldTimer {
  private handle: TimerHandle | null = null;
  private lastRestart = 0;
  private ms = 0;

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: () => void,
  ) {}

  get seconds(): number {
    return this.ms / 1000;
  }

  start(seconds: number): void {
    this.stop();
    this.ms = seconds * 1000;
    if (this.ms <= 0) return; // hold time 0: no hold timer (RFC 4271 §4.2)
    this.lastRestart = this.clock.now();
    this.arm(this.ms);
  }

  restart(): void {
    this.lastRestart = this.clock.now();
  }

  stop(): void {
    this.handle?.cancel();
    this.handle = null;
  }

  private arm(ms: number): void {
    this.handle = this.clock.setTimeout(() => {
      this.handle = null;
      const left = this.lastRestart + this.ms - this.clock.now();
      if (left > 0) this.arm(left);
      else this.onExpire();
    }, ms);
  }
}

export interface BackoffOptions {
  /** Ceiling of the first delay, ms. Default 5000. */
  readonly firstMs?: number;
  /** Largest delay, ms (ConnectRetryTime). Default 120000. */
  readonly maxMs?: number;
  /** Random source in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

/**
 * Delay before reconnect attempt `attempt` (0 = first retry):
 * ceiling = min(max, first * 2^attempt); delay uniform in [ceiling/2, ceiling].
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const first = options.firstMs ?? 5000;
  const max = options.maxMs ?? 120_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, first * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
