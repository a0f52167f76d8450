// desiredState: objects + node name -> sessions, routes and problem lines.
// Every rule of DESIGN.md "Rules the parts keep" that the pure core owns,
// with the odd cases: nodes without pod CIDRs or addresses, dual stack,
// selectors matching nothing, shared peer addresses, missing Secrets.

import test from 'ava';
import { desiredState, routerIdFromIPv6 } from '../../src/controller/desired-state.js';
import { electSpeakers } from '../../src/controller/election.js';
import { parseIP } from '../../src/controller/resources.js';
import { checkNode } from '../../src/controller/validate-node.js';
import { b64, bgpPeer, manyNodes, node, objects, plainSessions, routePairs, secret } from './helpers.js';

const lan = { lan: 'a' };

function threeNodes() {
  return [
    node('node-1', { ips: ['172.16.0.11'], podCIDRs: ['10.244.1.0/24'], labels: lan }),
    node('node-2', { ips: ['172.16.0.12'], podCIDR: '10.244.2.0/24', labels: lan, ready: false }),
    node('node-3', { ips: ['172.16.0.13'], podCIDRs: ['10.244.3.0/24'], labels: { lan: 'b' } }),
  ];
}

test('a listed speaker gets one session with the BGPPeer fields and defaults', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1', 'node-2'], nodeSelector: 'lan=a' });
  const d = desiredState(objects({ bgpPeers: [peer], nodes: threeNodes() }), 'node-1');
  t.deepEqual(d.problems, []);
  t.deepEqual(d.speakerFor, ['peer']);
  t.deepEqual(plainSessions(d.sessions), [
    {
      name: 'peer',
      peerAddress: '172.16.0.1',
      peerPort: 179,
      localAddress: '172.16.0.11',
      localAs: 65010,
      peerAs: 65001,
      routerId: '172.16.0.11',
      holdTime: 90,
      connectRetryTime: 120,
      gracefulRestart: { enabled: true, restartTime: 600 },
      families: ['ipv4'],
      // node-2 is NotReady: readiness never withdraws a route. node-3 is another LAN.
      routes: [
        { prefix: '10.244.1.0/24', nextHop: '172.16.0.11' },
        { prefix: '10.244.2.0/24', nextHop: '172.16.0.12' },
      ],
    },
  ]);
});

test('a node that is not a speaker gets no session and reports nothing', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], peerAsNumber: 70000000000 });
  const d = desiredState(objects({ bgpPeers: [peer], nodes: threeNodes() }), 'node-3');
  t.deepEqual(d, { sessions: [], problems: [], speakerFor: [] });
});

test('extension fields reach the session spec', (t) => {
  const peer = bgpPeer('peer', {
    localSpeakers: ['node-1'],
    peerPort: 1179,
    holdTime: 30,
    keepaliveTime: 10,
    connectRetryTime: 5,
    gracefulRestart: { enabled: false, restartTime: 120 },
    ebgpMultihop: 2,
    maxPrefixes: 100,
  });
  const [s] = desiredState(objects({ bgpPeers: [peer], nodes: threeNodes() }), 'node-1').sessions;
  t.like(s, {
    peerPort: 1179,
    holdTime: 30,
    keepaliveTime: 10,
    connectRetryTime: 5,
    gracefulRestart: { enabled: false, restartTime: 120 },
    ebgpMultihop: 2,
    maxPrefixes: 100,
  });
});

test('a node without a pod CIDR adds no route and no problem', (t) => {
  const nodes = [...threeNodes(), node('node-4', { ips: ['172.16.0.14'], labels: lan })];
  const d = desiredState(objects({ bgpPeers: [bgpPeer('peer', { localSpeakers: ['node-1'], nodeSelector: 'lan=a' })], nodes }), 'node-1');
  t.deepEqual(d.problems, []);
  t.deepEqual(d.sessions[0]!.routes.map((r) => r.prefix), ['10.244.1.0/24', '10.244.2.0/24']);
});

test('a dual-stack node advertises each pod CIDR with the next hop of its family', (t) => {
  const nodes = [
    node('node-1', { ips: ['172.16.0.11', 'fd00::11'], podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'] }),
    node('node-2', { ips: ['FD00:0:0:0:0:0:0:12', '172.16.0.12'], podCIDRs: ['fd00:10:244:2:0::/64', '10.244.2.0/24'] }),
  ];
  const d = desiredState(objects({ bgpPeers: [bgpPeer('peer', { localSpeakers: ['node-1'] })], nodes }), 'node-1');
  t.deepEqual(d.problems, []);
  const s = d.sessions[0]!;
  t.deepEqual(s.families, ['ipv4', 'ipv6']);
  // Grouped by Node (so one Node's change is one place in the list), IPv4 first within a Node.
  t.deepEqual(routePairs(s.routes), [
    { prefix: '10.244.1.0/24', nextHop: '172.16.0.11' },
    { prefix: 'fd00:10:244:1::/64', nextHop: 'fd00::11' },
    { prefix: '10.244.2.0/24', nextHop: '172.16.0.12' },
    { prefix: 'fd00:10:244:2::/64', nextHop: 'fd00::12' },
  ]);
});

test('IPv4 routes carry the prefix object of their pod CIDR for the speaker; IPv6 routes carry none', (t) => {
  const nodes = [node('node-1', { ips: ['172.16.0.11', 'fd00::11'], podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64', '10.244.9.7/24'] })];
  const d = desiredState(objects({ bgpPeers: [bgpPeer('peer', { localSpeakers: ['node-1'] })], nodes }), 'node-1');
  const got = d.sessions[0]!.routes.map((r) => ({ prefix: r.prefix, key: r.parsed?.key, length: r.parsed?.length, afi: r.parsed?.afi }));
  t.deepEqual(got, [
    { prefix: '10.244.1.0/24', key: '10.244.1.0/24', length: 24, afi: 1 },
    // Host bits cleared by the general parse: the speaker parses this text itself.
    { prefix: '10.244.9.0/24', key: undefined, length: undefined, afi: undefined },
    { prefix: 'fd00:10:244:1::/64', key: undefined, length: undefined, afi: undefined },
  ]);
});

test('a canonical IPv4 pod CIDR is its own route: one object from the Node check to the speaker', (t) => {
  const nodes = [
    node('node-1', { ips: ['172.16.0.11'], podCIDRs: ['10.244.1.0/24', '10.244.3.0/24'] }),
    node('node-2', { ips: ['172.16.0.12'], podCIDRs: ['10.244.2.0/24'] }),
  ];
  const d = desiredState(objects({ bgpPeers: [bgpPeer('peer', { localSpeakers: ['node-1'] })], nodes }), 'node-1');
  const routes = d.sessions[0]!.routes;
  const cidrs = nodes.flatMap((n) => checkNode(n).cidrs);
  t.is(routes.length, 3);
  for (const r of routes) {
    const cidr: unknown = cidrs.find((c) => c.text === r.prefix);
    t.true(r === cidr, `${r.prefix} is the checked Node's CIDR object`);
    t.true(r.parsed === (r as unknown));
  }
  t.deepEqual(routePairs(routes), [
    { prefix: '10.244.1.0/24', nextHop: '172.16.0.11' },
    { prefix: '10.244.3.0/24', nextHop: '172.16.0.11' },
    { prefix: '10.244.2.0/24', nextHop: '172.16.0.12' },
  ]);
});

test('an IPv6 peer uses the IPv6 InternalIP as source and still an IPv4 router ID', (t) => {
  const nodes = [node('node-1', { ips: ['172.16.0.11', 'fd00::11'], podCIDRs: ['10.244.1.0/24'] })];
  const peer = bgpPeer('peer6', { localSpeakers: ['node-1'], peerIP: 'FD00::0001' });
  const s = desiredState(objects({ bgpPeers: [peer], nodes }), 'node-1').sessions[0]!;
  t.is(s.peerAddress, 'fd00::1');
  t.is(s.localAddress, 'fd00::11');
  t.is(s.routerId, '172.16.0.11');
  t.deepEqual(s.families, ['ipv4', 'ipv6']);
});

test('an IPv6-only node derives a stable router ID from its address', (t) => {
  const nodes = [node('node-1', { ips: ['fd00::11'], podCIDRs: ['fd00:10:244:1::/64'] })];
  const peer = bgpPeer('peer6', { localSpeakers: ['node-1'], peerIP: 'fd00::1' });
  const s = desiredState(objects({ bgpPeers: [peer], nodes }), 'node-1').sessions[0]!;
  t.is(s.routerId, routerIdFromIPv6(parseIP('fd00::11')!.bytes));
  t.regex(s.routerId, /^\d+\.\d+\.\d+\.\d+$/);
  t.not(s.routerId, '0.0.0.0');
  t.not(routerIdFromIPv6(parseIP('fd00::12')!.bytes), s.routerId);
  t.deepEqual(s.families, ['ipv6']);
});

test('options override the router ID and the local address', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'] });
  const s = desiredState(objects({ bgpPeers: [peer], nodes: threeNodes() }), 'node-1', {
    routerId: '10.0.0.1',
    localAddress: '127.0.0.11',
  }).sessions[0]!;
  t.is(s.routerId, '10.0.0.1');
  t.is(s.localAddress, '127.0.0.11');
});

test('a pod CIDR without an InternalIP of its family is reported and the rest still advertised', (t) => {
  const nodes = [
    node('node-1', { ips: ['172.16.0.11'], podCIDRs: ['10.244.1.0/24'] }),
    node('node-2', { ips: ['172.16.0.12'], podCIDRs: ['10.244.2.0/24', 'fd00:10:244:2::/64'] }),
  ];
  const d = desiredState(objects({ bgpPeers: [bgpPeer('peer', { localSpeakers: ['node-1'] })], nodes }), 'node-1');
  t.deepEqual(d.problems.map((p) => p.line), [
    'Node node-2: status.addresses: no InternalIP of family IPv6 for pod CIDR fd00:10:244:2::/64; that prefix is not advertised',
  ]);
  t.deepEqual(d.sessions[0]!.routes.map((r) => r.prefix), ['10.244.1.0/24', '10.244.2.0/24']);
  t.deepEqual(d.sessions[0]!.families, ['ipv4']);
});

test('a selector matching no node gives a session with no routes', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], nodeSelector: 'lan=nowhere' });
  const d = desiredState(objects({ bgpPeers: [peer], nodes: threeNodes() }), 'node-1');
  t.deepEqual(d.problems, []);
  t.deepEqual(d.sessions[0]!.routes, []);
  t.deepEqual(d.sessions[0]!.families, ['ipv4']);
});

test('an absent nodeSelector advertises every node', (t) => {
  const d = desiredState(objects({ bgpPeers: [bgpPeer('peer', { localSpeakers: ['node-1'] })], nodes: threeNodes() }), 'node-1');
  t.is(d.sessions[0]!.routes.length, 3);
});

test('two BGPPeers to the same peer address on one node give one session, the first name', (t) => {
  const peers = [
    bgpPeer('zeta', { localSpeakers: ['node-1'] }),
    bgpPeer('alpha', { localSpeakers: ['node-1', 'node-2'] }),
    bgpPeer('other-port', { localSpeakers: ['node-1'], peerPort: 1179 }),
  ];
  const d = desiredState(objects({ bgpPeers: peers, nodes: threeNodes() }), 'node-1');
  t.deepEqual(d.sessions.map((s) => s.name), ['alpha', 'other-port']);
  t.deepEqual(d.speakerFor, ['alpha', 'other-port', 'zeta']);
  t.deepEqual(d.problems.map((p) => [p.line, p.reason]), [
    [
      "BGPPeer zeta: spec.peerIP: 172.16.0.1 port 179 is also the peer of BGPPeer alpha on node node-1; only alpha's session runs there",
      'InvalidSpec',
    ],
  ]);
  // On node-2 only alpha runs: no conflict there.
  const d2 = desiredState(objects({ bgpPeers: peers, nodes: threeNodes() }), 'node-2');
  t.deepEqual(d2.sessions.map((s) => s.name), ['alpha']);
  t.deepEqual(d2.problems, []);
});

test('a missing Secret means no session and a SecretNotFound problem', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } });
  const d = desiredState(objects({ bgpPeers: [peer], nodes: threeNodes() }), 'node-1');
  t.deepEqual(d.sessions, []);
  t.deepEqual(d.speakerFor, ['peer']);
  t.deepEqual(d.problems.map((p) => [p.line, p.reason]), [
    ['BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret not found', 'SecretNotFound'],
  ]);
});

test('a Secret in another namespace does not count, and the line says where it is', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } });
  const secrets = [secret('bgp-secret', { stringData: { password: 'x' }, namespace: 'default' })];
  const d = desiredState(objects({ bgpPeers: [peer], secrets, nodes: threeNodes() }), 'node-1');
  t.deepEqual(d.sessions, []);
  t.deepEqual(d.problems.map((p) => p.line), [
    'BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret not found (there is one in namespace default; it must be in kube-system)',
  ]);
});

test('a Secret without the key means no session and a SecretNotFound problem', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } });
  const secrets = [secret('bgp-secret', { data: { other: b64('x') } })];
  const d = desiredState(objects({ bgpPeers: [peer], secrets, nodes: threeNodes() }), 'node-1');
  t.deepEqual(d.sessions, []);
  t.deepEqual(d.problems.map((p) => [p.line, p.reason]), [
    ['BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret has no key "password"', 'SecretNotFound'],
  ]);
});

test('base64 data is decoded and stringData wins over data', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } });
  const run = (s: ReturnType<typeof secret>) =>
    desiredState(objects({ bgpPeers: [peer], secrets: [s], nodes: threeNodes() }), 'node-1').sessions[0]?.md5Key;
  t.is(run(secret('bgp-secret', { data: { password: b64('s3cr€t') } })), 's3cr€t');
  t.is(run(secret('bgp-secret', { data: { password: b64('old') }, stringData: { password: 'new' } })), 'new');
});

test('a password longer than 80 bytes, empty or not base64 means no session and an InvalidSpec problem', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } });
  const run = (s: ReturnType<typeof secret>) =>
    desiredState(objects({ bgpPeers: [peer], secrets: [s], nodes: threeNodes() }), 'node-1');
  // 'é' is two bytes in UTF-8: 41 characters, 82 bytes.
  const long = run(secret('bgp-secret', { stringData: { password: 'é'.repeat(41) } }));
  t.deepEqual(long.sessions, []);
  t.deepEqual(long.problems.map((p) => [p.line, p.reason]), [
    ['BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret key "password" is 82 bytes; a TCP MD5 key is at most 80 (RFC 2385)', 'InvalidSpec'],
  ]);
  t.is(run(secret('bgp-secret', { stringData: { password: 'x'.repeat(80) } })).sessions.length, 1);
  t.deepEqual(run(secret('bgp-secret', { data: { password: '' } })).problems.map((p) => p.line), [
    'BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret key "password" is empty',
  ]);
  t.deepEqual(run(secret('bgp-secret', { data: { password: 'not base64!' } })).problems.map((p) => p.line), [
    'BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret key "password" is not valid base64',
  ]);
});

test('problem lines never contain the password', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'], authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } });
  const pw = 'hunter2-'.repeat(11);
  const d = desiredState(objects({ bgpPeers: [peer], secrets: [secret('bgp-secret', { stringData: { password: pw } })], nodes: threeNodes() }), 'node-1');
  t.is(d.problems.length, 1);
  t.false(JSON.stringify(d.problems).includes('hunter2'));
});

test('localSpeakers naming a node that does not exist is still a speaker and other peers are unaffected', (t) => {
  const peers = [bgpPeer('ghost', { localSpeakers: ['node-9'] }), bgpPeer('real', { localSpeakers: ['node-1'], peerIP: '172.16.0.2' })];
  const d = desiredState(objects({ bgpPeers: peers, nodes: threeNodes() }), 'node-9');
  t.deepEqual(d.speakerFor, ['ghost']);
  t.deepEqual(d.sessions, []);
  t.deepEqual(d.problems.map((p) => p.line), ['Node node-9: status.addresses: not found, and no router ID given; no session can start']);
  // With a router ID (standalone --router-id), the missing Node still speaks.
  const d2 = desiredState(objects({ bgpPeers: peers, nodes: threeNodes() }), 'node-9', { routerId: '10.9.9.9' });
  t.deepEqual(d2.sessions.map((s) => [s.name, s.routerId, s.localAddress]), [['ghost', '10.9.9.9', undefined]]);
});

test('an invalid BGPPeer yields one problem per bad field and the other peers keep their sessions', (t) => {
  const peers = [
    bgpPeer('bad', {
      localSpeakers: ['node-1'],
      peerAsNumber: 70000000000,
      peerIP: '172.16.0.300',
      holdTime: 2,
      gracefulRestart: { restartTime: 5000 },
      nodeSelector: 'lan in a',
    }),
    bgpPeer('good', { localSpeakers: ['node-1'], peerIP: '172.16.0.2' }),
  ];
  const d = desiredState(objects({ bgpPeers: peers, nodes: threeNodes() }), 'node-1');
  t.deepEqual(d.sessions.map((s) => s.name), ['good']);
  t.deepEqual(d.speakerFor, ['bad', 'good']);
  t.deepEqual(d.problems.map((p) => p.line), [
    'BGPPeer bad: spec.gracefulRestart.restartTime: 5000 is not a valid restart time (0..4095 seconds, RFC 4724 §3)',
    'BGPPeer bad: spec.holdTime: 2 is not a valid hold time (0 or 3..65535 seconds, RFC 4271 §4.2)',
    'BGPPeer bad: spec.nodeSelector: "lan in a" is not a label selector: at position 8: expected \'(\' after in/notin, found "a"',
    'BGPPeer bad: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)',
    'BGPPeer bad: spec.peerIP: "172.16.0.300" is not an IP address',
  ]);
});

test('an invalid BGPPeer without localSpeakers is reported by exactly one node', (t) => {
  const nodes = threeNodes();
  const peers = [bgpPeer('bad', { nodeSelector: 'lan in a' })];
  const reporters = nodes.filter((n) => desiredState(objects({ bgpPeers: peers, nodes }), n.metadata.name!).problems.length > 0);
  t.is(reporters.length, 1);
});

test('rendezvous-elected speakers get the session and other nodes do not', (t) => {
  const nodes = manyNodes(50, lan);
  const peer = bgpPeer('peer', { nodeSelector: 'lan=a', speakerCount: 3 });
  const elected = electSpeakers(peer, nodes);
  const withSession = nodes
    .map((n) => n.metadata.name!)
    .filter((n) => desiredState(objects({ bgpPeers: [peer], nodes }), n).sessions.length === 1);
  t.deepEqual(withSession.sort(), elected);
  t.is(elected.length, 3);
});

test('two nodes claiming the same pod CIDR: the first name keeps it and the other is reported', (t) => {
  const nodes = [
    node('node-b', { ips: ['172.16.0.12'], podCIDRs: ['10.244.1.0/24'] }),
    node('node-a', { ips: ['172.16.0.11'], podCIDRs: ['10.244.1.0/24'] }),
  ];
  const d = desiredState(objects({ bgpPeers: [bgpPeer('peer', { localSpeakers: ['node-a'] })], nodes }), 'node-a');
  t.deepEqual(routePairs(d.sessions[0]!.routes), [{ prefix: '10.244.1.0/24', nextHop: '172.16.0.11' }]);
  t.deepEqual(d.problems.map((p) => p.line), [
    "Node node-b: spec.podCIDRs[0]: 10.244.1.0/24 is also the pod CIDR of Node node-a; only node-a's route is advertised",
  ]);
});

test('output does not depend on the order of the objects', (t) => {
  const nodes = manyNodes(40, lan);
  const peers = [bgpPeer('p1', { localSpeakers: ['node-3'] }), bgpPeer('p2', { speakerCount: 40, peerIP: '172.16.0.2' }), bgpPeer('p3', { localSpeakers: ['node-3'] })];
  const a = desiredState(objects({ bgpPeers: peers, nodes }), 'node-3');
  const b = desiredState(objects({ bgpPeers: [...peers].reverse(), nodes: [...nodes].reverse() }), 'node-3');
  t.deepEqual(a, b);
  t.is(a.sessions.length, 2);
});

test('desired state for 20,000 nodes is computed quickly', (t) => {
  const nodes = manyNodes(20000, { 'topology.kubernetes.io/zone': 'z1', 'example.com/pool': 'p1' });
  const peers = [bgpPeer('peer', { localSpeakers: ['node-1'] }), bgpPeer('elected', { peerIP: '172.16.0.2', nodeSelector: 'example.com/pool=p1' })];
  const o = objects({ bgpPeers: peers, nodes });
  const t0 = performance.now();
  const d = desiredState(o, 'node-1');
  const cold = performance.now() - t0;
  const t1 = performance.now();
  desiredState(o, 'node-1');
  const warm = performance.now() - t1;
  t.log(`desiredState over 20,000 nodes: ${cold.toFixed(1)} ms first call, ${warm.toFixed(1)} ms with Nodes unchanged`);
  t.is(d.sessions[0]!.routes.length, 20000);
});

test('a bad router ID or local address option stops this node\'s sessions with a clear line', (t) => {
  const peer = bgpPeer('peer', { localSpeakers: ['node-1'] });
  const o = objects({ bgpPeers: [peer], nodes: threeNodes() });
  t.deepEqual(desiredState(o, 'node-1', { routerId: 'fd00::1' }).problems.map((p) => p.line), [
    'Node node-1: routerId: "fd00::1" is not a non-zero IPv4 address (RFC 6286 §2.1)',
  ]);
  t.deepEqual(desiredState(o, 'node-1', { routerId: '0.0.0.0' }).sessions, []);
  t.deepEqual(desiredState(o, 'node-1', { localAddress: 'localhost' }).problems.map((p) => p.line), [
    'Node node-1: localAddress: "localhost" is not an IP address',
  ]);
  // Canonical text is used, so the speaker compares like with like.
  t.is(desiredState(o, 'node-1', { localAddress: 'FD00::0011' }).sessions[0]!.localAddress, 'fd00::11');
});
