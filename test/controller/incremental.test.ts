// The incremental engine (incremental.ts, node-index.ts) against the
// reference desiredState: after any sequence of Node, BGPPeer and Secret
// changes, fed as single Nodes (informer events) or as whole object sets
// (file reloads, with repeated names and nameless Nodes), its output equals
// desiredState over the same objects. Also: unchanged Nodes leave the route
// list handed out untouched.

import test from 'ava';
import fc from 'fast-check';
import { desiredState } from '../../src/controller/desired-state.js';
import { DesiredStateEngine } from '../../src/controller/incremental.js';
import type { BGPPeer, Node, Secret } from '../../src/controller/resources.js';
import { b64, bgpPeer, manyNodes, node, objects, plainState, routePairs, secret } from './helpers.js';

const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'] as const;

/** A Node from a small space, so that pod CIDRs, addresses and labels collide often. */
const arbNode = (names: readonly string[] = NAMES): fc.Arbitrary<Node> =>
  fc
    .record({
      name: fc.constantFrom(...names),
      lan: fc.constantFrom(undefined, 'a', 'b'),
      zone: fc.constantFrom(undefined, 'x', 7),
      ready: fc.boolean(),
      ips: fc.subarray(['172.16.0.1', '172.16.0.2', 'fd00::1', '300.1.1.1', '172.16.0.9']),
      cidrs: fc.subarray(['10.0.0.0/24', '10.0.1.0/24', '10.0.1.5/24', 'fd10::/64', 'bogus', '10.0.2.0/24']),
      single: fc.boolean(),
    })
    .map((o) => {
      const labels: Record<string, string> = {};
      if (o.lan !== undefined) labels.lan = o.lan;
      if (o.zone !== undefined) labels.zone = o.zone as string;
      return node(o.name, {
        ips: o.ips,
        labels,
        ready: o.ready,
        ...(o.single ? (o.cidrs[0] !== undefined ? { podCIDR: o.cidrs[0] } : {}) : { podCIDRs: o.cidrs }),
      });
    });

/** A Node without metadata.name (only a hand-written file has one). */
const arbNameless = arbNode().map((n) => ({ ...n, metadata: { labels: n.metadata.labels ?? {} } }) as Node);

const arbPeer: fc.Arbitrary<BGPPeer> = fc
  .record({
    name: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
    speakers: fc.constantFrom<string[] | undefined>(undefined, [], ['n1'], ['n0', 'n2'], ['n9']),
    selector: fc.constantFrom(undefined, 'lan=a', 'lan!=b', 'all()', '', 'zone', '!zone', 'lan in (a,b)', 'lan=((bad'),
    count: fc.constantFrom(undefined, 1, 2, 3),
    peerIP: fc.constantFrom('172.16.0.100', '172.16.0.101', 'fd00::100'),
    secret: fc.constantFrom(undefined, 's1', 's2'),
    broken: fc.constantFrom(false, false, false, true),
  })
  .map((o) =>
    bgpPeer(o.name, {
      peerIP: o.peerIP,
      ...(o.speakers !== undefined ? { localSpeakers: o.speakers } : {}),
      ...(o.selector !== undefined ? { nodeSelector: o.selector } : {}),
      ...(o.count !== undefined ? { speakerCount: o.count } : {}),
      ...(o.secret !== undefined ? { authPassword: { secretKeyRef: { name: o.secret, key: 'password' } } } : {}),
      ...(o.broken ? { holdTime: 1 } : {}),
    }),
  );

const arbSecrets: fc.Arbitrary<Secret[]> = fc.subarray([
  secret('s1', { data: { password: b64('pw-one') } }),
  secret('s2', { stringData: { other: 'x' } }),
  secret('s2', { namespace: 'default', stringData: { password: 'pw' } }),
]);

type Op =
  | { kind: 'put'; node: Node }
  | { kind: 'delete'; name: string }
  | { kind: 'readdress'; name: string; ips: string[] }
  | { kind: 'peers'; peers: BGPPeer[]; main: string | null }
  | { kind: 'secrets'; secrets: Secret[] }
  | { kind: 'set'; nodes: Node[] };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: arbNode().map((n): Op => ({ kind: 'put', node: n })) },
  { weight: 2, arbitrary: fc.constantFrom(...NAMES).map((name): Op => ({ kind: 'delete', name })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ name: fc.constantFrom(...NAMES), ips: fc.subarray(['172.16.0.1', '172.16.0.3', 'fd00::2']) })
      .map((o): Op => ({ kind: 'readdress', ...o })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        peers: fc.array(arbPeer, { maxLength: 3 }),
        main: fc.option(fc.constantFrom('all()', 'lan=a', 'lan!=b', '!zone'), { freq: 4 }),
      })
      .map((o): Op => ({ kind: 'peers', ...o })),
  },
  { weight: 1, arbitrary: arbSecrets.map((secrets): Op => ({ kind: 'secrets', secrets })) },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof({ weight: 5, arbitrary: arbNode() }, { weight: 1, arbitrary: arbNameless }), { maxLength: 8 }).map(
      (nodes): Op => ({ kind: 'set', nodes }),
    ),
  },
);

const arbOptions = fc.oneof(
  { weight: 4, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.record(
      { routerId: fc.constantFrom('10.9.9.9', 'fd00::1'), localAddress: fc.constantFrom('172.16.0.50', 'nope') },
      { requiredKeys: [] },
    ),
  },
);

/** A valid BGPPeer that lists `me` as speaker, so that most steps have a session with routes to compare. */
const mainPeer = (me: string, nodeSelector: string): BGPPeer => bgpPeer('p0', { localSpeakers: [me], nodeSelector, peerIP: '172.16.0.99' });

/** Whether names in the list are unique and present: then single-Node changes mean the same for both. */
function keyedByName(nodes: readonly Node[]): boolean {
  const names = nodes.map((n) => n.metadata?.name);
  return names.every((n) => typeof n === 'string' && n !== '') && new Set(names).size === names.length;
}

test('the engine equals desiredState after any sequence of Node, BGPPeer and Secret changes', (t) => {
  fc.assert(
    fc.property(fc.constantFrom(...NAMES), arbOptions, fc.array(arbOp, { minLength: 1, maxLength: 40 }), (me, opts, ops) => {
      const engine = new DesiredStateEngine(me, opts);
      let nodes: Node[] = [];
      let peers: BGPPeer[] = [mainPeer(me, 'all()')];
      let secrets: Secret[] = [];
      engine.setBgpPeers(peers);
      for (const o of ops) {
        let op: Exclude<Op, { kind: 'readdress' }>;
        if (o.kind === 'readdress') {
          // The same Node with other InternalIPs: its routes keep their prefixes and change next hop.
          const held = nodes.find((n) => n.metadata?.name === o.name);
          if (!held) continue;
          const moved = structuredClone(held);
          moved.status = { ...moved.status, addresses: o.ips.map((address) => ({ type: 'InternalIP', address })) };
          op = { kind: 'put', node: moved };
        } else op = o;
        if (op.kind === 'peers') {
          peers = op.main === null ? op.peers : [mainPeer(me, op.main), ...op.peers];
          engine.setBgpPeers(peers);
        } else if (op.kind === 'secrets') {
          secrets = op.secrets;
          engine.setSecrets(secrets);
        } else if (op.kind === 'set') {
          nodes = op.nodes;
          engine.replaceNodes(nodes);
        } else if (keyedByName(nodes)) {
          // An informer event: the Node of that name is replaced, added or removed.
          const name = op.kind === 'put' ? op.node.metadata.name! : op.name;
          const rest = nodes.filter((n) => n.metadata.name !== name);
          nodes = op.kind === 'put' ? [...rest, op.node] : rest;
          if (op.kind === 'put') engine.putNode(op.node);
          else engine.deleteNode(name);
        } else {
          // Repeated or missing names: the change arrives as a whole list, as from a file.
          const name = op.kind === 'put' ? op.node.metadata.name! : op.name;
          const i = nodes.findIndex((n) => n.metadata?.name === name);
          nodes = [...nodes];
          if (op.kind === 'put') {
            if (i >= 0) nodes[i] = op.node;
            else nodes.push(op.node);
          } else if (i >= 0) nodes.splice(i, 1);
          engine.replaceNodes(nodes);
        }
        const want = desiredState(objects({ bgpPeers: peers, secrets, nodes }), me, opts);
        t.deepEqual(plainState(engine.compute()), plainState(want));
      }
    }),
    { numRuns: 400 },
  );
});

test('the engine equals desiredState for elections among many Nodes as candidates come and go', (t) => {
  const names = Array.from({ length: 40 }, (_, i) => `node-${i}`);
  fc.assert(
    fc.property(
      fc.constantFrom(...names),
      fc.array(arbNode(names), { minLength: 1, maxLength: 60 }),
      fc.array(arbPeer, { minLength: 1, maxLength: 3 }),
      (me, changes, peers) => {
        const engine = new DesiredStateEngine(me);
        const held = new Map<string, Node>(manyNodes(40, { lan: 'a' }).map((n) => [n.metadata.name!, n]));
        engine.setBgpPeers(peers);
        engine.replaceNodes([...held.values()]);
        for (const n of changes) {
          held.set(n.metadata.name!, n);
          engine.putNode(n);
          t.deepEqual(plainState(engine.compute()), plainState(desiredState(objects({ bgpPeers: peers, nodes: [...held.values()] }), me)));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a reload with equal Nodes hands the speaker the same route list object', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'] });
  const engine = new DesiredStateEngine('node-1');
  engine.set(objects({ bgpPeers: [peer], nodes: manyNodes(50) }));
  const first = engine.compute().sessions[0]!.routes;
  engine.set(objects({ bgpPeers: [peer], nodes: structuredClone(manyNodes(50)) }));
  const again = engine.compute().sessions[0]!.routes;
  t.is(again, first);
  t.is(first.length, 50);
});

test('a Node whose pod CIDR changes yields a new list with only that route changed, in the same order', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'] });
  const engine = new DesiredStateEngine('node-1');
  const nodes = manyNodes(50);
  engine.set(objects({ bgpPeers: [peer], nodes }));
  const before = engine.compute().sessions[0]!.routes;
  engine.putNode(node('node-7', { ips: ['172.16.0.7'], podCIDRs: ['10.0.7.128/25'] }));
  const after = engine.compute().sessions[0]!.routes;
  t.not(after, before);
  t.is(before.find((r) => r.prefix === '10.0.7.0/24')?.nextHop, '172.16.0.7');
  const changed = after.filter((r, i) => before[i] !== r).map((r) => r.prefix);
  t.deepEqual(changed, ['10.0.7.128/25']);
  t.deepEqual(routePairs(after), routePairs(desiredState(objects({ bgpPeers: [peer], nodes: [...nodes.filter((n) => n.metadata.name !== 'node-7'), node('node-7', { ips: ['172.16.0.7'], podCIDRs: ['10.0.7.128/25'] })] }), 'node-1').sessions[0]!.routes));
});

test('a BGPPeer removed from the objects leaves no election or route list behind', (t) => {
  const engine = new DesiredStateEngine('node-1');
  const nodes = manyNodes(20, { lan: 'a' });
  engine.set(objects({ bgpPeers: [bgpPeer('elected', { nodeSelector: 'lan=a', speakerCount: 20 })], nodes }));
  t.is(engine.compute().sessions.length, 1);
  engine.setBgpPeers([]);
  t.deepEqual(plainState(engine.compute()), plainState(desiredState(objects({ nodes }), 'node-1')));
  // Nodes changing afterwards touch no election or route list of the removed peer.
  engine.putNode(node('node-3', { ips: ['172.16.0.3'], podCIDRs: ['10.9.9.0/24'], labels: { lan: 'a' } }));
  t.deepEqual(engine.compute().sessions, []);
  t.deepEqual(engine.electedSpeakers(bgpPeer('elected', { nodeSelector: 'lan=a', speakerCount: 2 })).length, 2);
});

test('of two Nodes listed with one name, the second keeps a shared pod CIDR when the first drops it', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['n1'] });
  const engine = new DesiredStateEngine('n1');
  const first = node('n0', { ips: ['172.16.0.1'], podCIDRs: ['10.0.0.0/24'] });
  const second = node('n0', { ips: ['172.16.0.2'], podCIDRs: ['10.0.0.0/24'] });
  const me = node('n1', { ips: ['172.16.0.9'] });
  engine.set(objects({ bgpPeers: [peer], nodes: [first, second, me] }));
  t.deepEqual(routePairs(engine.compute().sessions[0]!.routes), [{ prefix: '10.0.0.0/24', nextHop: '172.16.0.1' }]);
  const nodes = [node('n0', { ips: ['172.16.0.1'] }), second, me];
  engine.set(objects({ bgpPeers: [peer], nodes }));
  const got = engine.compute();
  t.deepEqual(routePairs(got.sessions[0]!.routes), [{ prefix: '10.0.0.0/24', nextHop: '172.16.0.2' }]);
  t.deepEqual(plainState(got), plainState(desiredState(objects({ bgpPeers: [peer], nodes }), 'n1')));
});
