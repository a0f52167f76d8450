// Speaker election: localSpeakers taken as written, rendezvous hashing over
// Ready matching nodes, its stability (same answer everywhere, one node in or
// out moves at most one speaker), and the fixed hash it rests on.

import test from 'ava';
import fc from 'fast-check';
import {
  electSpeakers,
  murmur3,
  rendezvous,
  rendezvousWeight,
  speakerReadiness,
} from '../../src/controller/election.js';
import { bgpPeer, manyNodes, node } from './helpers.js';

const hash = (s: string, seed: number) => {
  const b = Buffer.from(s, 'utf8');
  return murmur3(b, b.length, seed);
};

test('murmur3 gives the published MurmurHash3 x86_32 values', (t) => {
  t.is(hash('', 0), 0);
  t.is(hash('', 1), 0x514e28b7);
  t.is(hash('', 0xffffffff), 0x81f16f39);
  t.is(murmur3(new Uint8Array(4), 4, 0), 0x2362f9de);
  t.is(hash('aaaa', 0x9747b28c), 0x5a97808a);
  t.is(hash('Hello, world!', 0x9747b28c), 0x24884cba);
  t.is(hash('The quick brown fox jumps over the lazy dog', 0x9747b28c), 0x2fa826cd);
});

test('the rendezvous weight of a (peer, node) pair never changes between releases', (t) => {
  // Agents of two versions must agree during an upgrade: these values are pinned.
  const b = Buffer.from('peer\0node-1', 'utf8');
  t.deepEqual(rendezvousWeight('peer', 'node-1'), [murmur3(b, b.length, 0), murmur3(b, b.length, 0x9e3779b9)]);
  t.notDeepEqual(rendezvousWeight('peer', 'node-1'), rendezvousWeight('peer', 'node-2'));
  t.notDeepEqual(rendezvousWeight('peer', 'node-1'), rendezvousWeight('peer2', 'node-1'));
});

test('localSpeakers are the speakers exactly, whether their Nodes exist or not', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-2', 'node-9', 'node-1'], speakerCount: 1 });
  const nodes = [node('node-1'), node('node-2', { ready: false }), node('node-3')];
  t.deepEqual(electSpeakers(peer, nodes), ['node-1', 'node-2', 'node-9']);
  t.deepEqual(speakerReadiness(peer, nodes), [
    { node: 'node-1', exists: true, ready: true },
    { node: 'node-2', exists: true, ready: false },
    { node: 'node-9', exists: false, ready: false },
  ]);
});

test('without localSpeakers two Ready nodes matching the selector are elected', (t) => {
  const nodes = [
    node('a', { labels: { lan: 'x' } }),
    node('b', { labels: { lan: 'x' }, ready: false }),
    node('c', { labels: { lan: 'x' } }),
    node('d', { labels: { lan: 'y' } }),
    node('e', { labels: { lan: 'x' } }),
  ];
  const peer = bgpPeer('peer', { nodeSelector: 'lan=x', localSpeakers: [] });
  const got = electSpeakers(peer, nodes);
  t.is(got.length, 2);
  for (const n of got) t.true(['a', 'c', 'e'].includes(n));
  // Independent check: the two highest weights by a full sort.
  const ranked = ['a', 'c', 'e']
    .map((n) => ({ n, w: rendezvousWeight('peer', n) }))
    .sort((x, y) => y.w[0] - x.w[0] || y.w[1] - x.w[1])
    .map((x) => x.n);
  t.deepEqual(got, ranked.slice(0, 2).sort());
  t.deepEqual(
    speakerReadiness(peer, nodes),
    got.map((n) => ({ node: n, exists: true, ready: true })),
  );
});

test('speakerCount elects that many, or every candidate when there are fewer', (t) => {
  const nodes = manyNodes(5);
  t.is(electSpeakers(bgpPeer('p', { speakerCount: 3 }), nodes).length, 3);
  t.is(electSpeakers(bgpPeer('p', { speakerCount: 9 }), nodes).length, 5);
  t.deepEqual(electSpeakers(bgpPeer('p', { nodeSelector: 'nothing=here' }), nodes), []);
});

test('a selector that does not parse elects nobody', (t) => {
  t.deepEqual(electSpeakers(bgpPeer('p', { nodeSelector: 'a in b' }), manyNodes(3)), []);
});

test('every agent computes the same speakers whatever the order of the nodes', (t) => {
  // fc.assert throws with the counterexample when the property fails.
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), { minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        (names, peerName, count, seed) => {
          const shuffled = [...names].sort((a, b) => rendezvousWeight(String(seed), a)[0] - rendezvousWeight(String(seed), b)[0]);
          return JSON.stringify(rendezvous(peerName, names, count)) === JSON.stringify(rendezvous(peerName, shuffled, count));
        },
      ),
    ),
  );
});

test('a node joining or leaving moves at most one speaker', (t) => {
  // fc.assert throws with the counterexample when the property fails.
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^node-[a-z0-9]{1,6}$/), { minLength: 2, maxLength: 60 }),
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        (names, peerName, count) => {
          const [extra, ...rest] = names;
          const before = new Set(rendezvous(peerName, rest, count));
          const after = new Set(rendezvous(peerName, names, count));
          const gone = [...before].filter((n) => !after.has(n));
          const added = [...after].filter((n) => !before.has(n));
          // Joining: at most the newcomer comes in and one old speaker goes out.
          if (gone.length > 1 || added.length > 1) return false;
          if (added.length === 1 && added[0] !== extra) return false;
          return true;
        },
      ),
    ),
  );
});

test('speakers spread evenly over nodes across many BGPPeers', (t) => {
  const names = Array.from({ length: 10 }, (_, i) => `node-${i}`);
  const counts = new Map<string, number>(names.map((n) => [n, 0]));
  for (let p = 0; p < 2000; p++) {
    for (const n of rendezvous(`peer-${p}`, names, 2)) counts.set(n, counts.get(n)! + 1);
  }
  // 4000 picks over 10 nodes: 400 each on average.
  for (const [n, c] of counts) t.true(c > 320 && c < 480, `${n} elected ${c} times`);
});

test('electing over 20,000 nodes is fast enough to run on every change', (t) => {
  const nodes = manyNodes(20000);
  const peer = bgpPeer('peer');
  const start = process.hrtime.bigint();
  const got = electSpeakers(peer, nodes);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.log(`electSpeakers over 20,000 nodes: ${ms.toFixed(1)} ms`);
  t.is(got.length, 2);
});
