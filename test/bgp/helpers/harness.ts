// A Session on a FakeClock with an in-memory dialer: every dial hands the
// session one end of a stream pair and the test a ScriptedPeer on the
// other end, or fails the way the test says (refused, timeout).

import type { ExecutionContext } from 'ava';
import { FakeClock } from '../../../src/bgp/clock.js';
import { Session, type DialRequest, type StopMode } from '../../../src/bgp/session.js';
import type { SessionEvent, SessionSpec } from '../../../src/bgp/types.js';
import { silentLogger } from '../../../src/log.js';
import { ScriptedPeer } from './peer.js';
import { duplexPair, waitFor } from './streams.js';

export type DialOutcome = 'connect' | { readonly kind: string; readonly message?: string };

export const BASE_SPEC: SessionSpec = {
  name: 'switch',
  peerAddress: '192.0.2.1',
  localAs: 65010,
  peerAs: 65001,
  routerId: '10.0.0.9',
  holdTime: 90,
  gracefulRestart: { enabled: true, restartTime: 600 },
  families: ['ipv4', 'ipv6'],
  routes: [],
};

export class Harness {
  readonly clock = new FakeClock();
  readonly events: SessionEvent[] = [];
  readonly dials: DialRequest[] = [];
  readonly peers: ScriptedPeer[] = [];
  /** What the next dials do, in order; when empty, dials connect. */
  readonly outcomes: DialOutcome[] = [];
  readonly session: Session;

  constructor(spec: Partial<SessionSpec> = {}, options: { restarting?: boolean; random?: () => number } = {}) {
    this.session = new Session({
      spec: { ...BASE_SPEC, ...spec },
      log: silentLogger(),
      clock: this.clock,
      restarting: options.restarting ?? false,
      random: options.random ?? (() => 0.5),
      onEvent: (e) => this.events.push(e),
      dial: async (request) => {
        this.dials.push(request);
        const outcome = this.outcomes.shift() ?? 'connect';
        if (outcome !== 'connect') {
          throw Object.assign(new Error(outcome.message ?? `connect ${outcome.kind}`), { kind: outcome.kind });
        }
        const [ours, theirs] = duplexPair();
        this.peers.push(new ScriptedPeer(theirs));
        return ours;
      },
    });
  }

  /** The peer of the latest dial. */
  get peer(): ScriptedPeer {
    const p = this.peers[this.peers.length - 1];
    if (!p) throw new Error('no connection dialed yet');
    return p;
  }

  async waitState(state: string, ms = 5000): Promise<void> {
    await waitFor(() => this.session.state === state, `state ${state} (now ${this.session.state})`, ms);
  }

  async waitDials(n: number, ms = 5000): Promise<void> {
    await waitFor(() => this.dials.length >= n, `${n} dials (now ${this.dials.length})`, ms);
  }

  /** Events that left a state with an error. */
  get errors(): NonNullable<SessionEvent['error']>[] {
    return this.events.flatMap((e) => (e.error ? [e.error] : []));
  }

  /** Starts the session and plays the peer up to Established. */
  async establish(...args: Parameters<ScriptedPeer['establish']>): Promise<ScriptedPeer> {
    const before = this.dials.length;
    this.session.start();
    await this.waitDials(before + 1);
    await waitFor(() => this.peers.length >= this.dials.length, 'the dialed stream');
    const peer = this.peer;
    await peer.establish(...args);
    await this.waitState('Established');
    return peer;
  }
}

/** A harness torn down with the test. */
export function harness(t: ExecutionContext, spec: Partial<SessionSpec> = {}, options?: ConstructorParameters<typeof Harness>[1]): Harness {
  const h = new Harness(spec, options);
  t.teardown(async () => {
    await h.session.stop('deconfigure' as StopMode);
    for (const p of h.peers) p.destroy();
  });
  return h;
}
