// Timers on the FakeClock: one-shot Timer, the HoldTimer that is restarted
// without re-arming (RFC 4271 §4.4, §10: expiry exactly hold seconds after
// the last KEEPALIVE/UPDATE; hold time 0 means no timer, §4.2), and the
// reconnect backoff (§8.1.1 damping: first retry within 5 s, then doubling
// up to ConnectRetryTime, with jitter).

import test from 'ava';
import fc from 'fast-check';
import { FakeClock } from '../../src/bgp/clock.js';
import { backoffDelay, HoldTimer, Timer } from '../../src/bgp/timers.js';

test('a Timer fires once, at its deadline, and reports the time remaining', (t) => {
  const clock = new FakeClock();
  const fired: number[] = [];
  const timer = new Timer(clock, () => fired.push(clock.now()));
  t.false(timer.running);
  t.is(timer.remaining(), null);
  timer.start(1000);
  t.true(timer.running);
  clock.advance(400);
  t.is(timer.remaining(), 600);
  clock.advance(599);
  t.deepEqual(fired, []);
  clock.advance(1);
  t.deepEqual(fired, [1000]);
  t.false(timer.running);
  clock.advance(10_000);
  t.deepEqual(fired, [1000], 'one-shot');
});

test('a stopped Timer never fires, and stopping twice is harmless', (t) => {
  const clock = new FakeClock();
  let fired = 0;
  const timer = new Timer(clock, () => fired++);
  timer.start(100);
  timer.stop();
  timer.stop();
  clock.advance(1000);
  t.is(fired, 0);
  t.is(clock.pending, 0);
});

test('restarting a Timer replaces its deadline instead of adding a second one', (t) => {
  const clock = new FakeClock();
  const fired: number[] = [];
  const timer = new Timer(clock, () => fired.push(clock.now()));
  timer.start(1000);
  clock.advance(900);
  timer.start(1000);
  t.is(clock.pending, 1);
  clock.advance(999);
  t.deepEqual(fired, []);
  clock.advance(1);
  t.deepEqual(fired, [1900]);
});

test('a HoldTimer restarted by messages expires exactly hold seconds after the last restart', (t) => {
  const clock = new FakeClock();
  const fired: number[] = [];
  const hold = new HoldTimer(clock, () => fired.push(clock.now()));
  hold.start(9);
  t.is(hold.seconds, 9);
  // Messages at 2 s, 5 s, 8 s and 12.5 s.
  for (const at of [2000, 5000, 8000, 12_500]) {
    clock.advance(at - clock.now());
    hold.restart();
  }
  t.true(clock.pending <= 1, 'restarts do not add timers');
  clock.advance(12_500 + 9000 - 1 - clock.now());
  t.deepEqual(fired, [], 'alive 1 ms before the deadline');
  clock.advance(1);
  t.deepEqual(fired, [21_500]);
  clock.advance(100_000);
  t.deepEqual(fired, [21_500], 'fires once');
});

test('a HoldTimer without restarts fires hold seconds after start', (t) => {
  const clock = new FakeClock();
  const fired: number[] = [];
  const hold = new HoldTimer(clock, () => fired.push(clock.now()));
  clock.advance(500);
  hold.start(3);
  clock.advance(2999);
  t.deepEqual(fired, []);
  clock.advance(1);
  t.deepEqual(fired, [3500]);
});

test('a HoldTimer started with hold time 0 never fires and arms nothing', (t) => {
  const clock = new FakeClock();
  let fired = 0;
  const hold = new HoldTimer(clock, () => fired++);
  hold.start(0);
  hold.restart();
  t.is(clock.pending, 0);
  clock.advance(10 * 3600 * 1000);
  t.is(fired, 0);
});

test('starting a HoldTimer again with 0 turns off the running one', (t) => {
  const clock = new FakeClock();
  let fired = 0;
  const hold = new HoldTimer(clock, () => fired++);
  hold.start(240);
  clock.advance(1000);
  hold.start(0);
  clock.advance(1_000_000);
  t.is(fired, 0);
});

test('a stopped HoldTimer does not fire even after restarts', (t) => {
  const clock = new FakeClock();
  let fired = 0;
  const hold = new HoldTimer(clock, () => fired++);
  hold.start(3);
  hold.stop();
  hold.restart();
  clock.advance(60_000);
  t.is(fired, 0);
});

test('the first retry comes within 5 s and no sooner than half of it, for any random value', (t) => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (r) => {
      const d = backoffDelay(0, { random: () => r });
      return d >= 2500 && d <= 5000;
    }),
  );
  t.is(backoffDelay(0, { random: () => 0 }), 2500);
  t.true(backoffDelay(0, { random: () => 0.999999 }) <= 5000);
});

test('the backoff ceiling doubles per attempt and stops at ConnectRetryTime', (t) => {
  const top = (attempt: number, maxMs?: number): number => backoffDelay(attempt, { random: () => 0.9999999999, maxMs });
  t.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((a) => top(a)), [5000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000]);
  t.is(top(3, 30_000), 30_000);
  t.is(top(1000), 120_000, 'no overflow for large attempt numbers');
  const low = (attempt: number): number => backoffDelay(attempt, { random: () => 0 });
  t.deepEqual([0, 1, 2, 3, 4, 5, 9].map(low), [2500, 5000, 10_000, 20_000, 40_000, 60_000, 60_000]);
});

test('every backoff delay lies in [ceiling/2, ceiling] for the attempt', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 50 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 5000, max: 600_000 }),
        (attempt, r, maxMs) => {
          const ceiling = Math.min(maxMs, 5000 * 2 ** attempt);
          const d = backoffDelay(attempt, { random: () => r, maxMs });
          return d >= Math.floor(ceiling / 2) && d <= ceiling;
        },
      ),
    ),
  );
});

test('the jitter spreads delays over the whole range instead of one value', (t) => {
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) seen.add(backoffDelay(4, { random: () => i / 200 }));
  t.true(seen.size > 150);
  t.is(Math.min(...seen), 40_000);
  t.true(Math.max(...seen) > 79_000);
});
