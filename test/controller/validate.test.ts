// validateObjects over the fixture files: one exact line per problem, the
// right reason and severity, nothing for a valid set; and the checks that
// files cannot express (objects of the wrong JSON type).

import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateObjects } from '../../src/controller/validate.js';
import { parseObjects } from '../../src/controller/yaml.js';
import type { BGPPeer, Problem } from '../../src/controller/resources.js';
import { bgpPeer, node, objects, secret } from './helpers.js';

function load(name: string) {
  const path = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return parseObjects(readFileSync(path, 'utf8'), name);
}

const lines = (ps: Problem[]) => ps.map((p) => `${p.severity ?? 'error'} ${p.reason} ${p.line}`);

test('a valid file has no problems', (t) => {
  const { objects: o, problems } = load('good.yaml');
  t.deepEqual(problems, []);
  t.deepEqual(validateObjects(o), []);
  t.is(o.bgpPeers.length, 2);
  t.is(o.nodes.length, 3);
});

test('the examples directory validates cleanly', (t) => {
  for (const files of [['lab.yaml'], ['bgppeer.yaml', 'secret.yaml', 'nodes.yaml']]) {
    const text = files
      .map((f) => readFileSync(fileURLToPath(new URL(`../../examples/${f}`, import.meta.url)), 'utf8'))
      .join('\n---\n');
    const r = parseObjects(text, files.join('+'));
    t.deepEqual(r.problems, [], files.join('+'));
    t.deepEqual(validateObjects(r.objects), [], files.join('+'));
  }
});

test('every bad field of a BGPPeer gets its own line', (t) => {
  const { objects: o } = load('bad-peer.yaml');
  t.deepEqual(lines(validateObjects(o)), [
    'error InvalidSpec BGPPeer broken: spec.connectRetryTime: 1.5 is not a valid retry time (1..65535 seconds)',
    'error InvalidSpec BGPPeer broken: spec.ebgpMultihop: 256 is not a TTL (1..255)',
    'error InvalidSpec BGPPeer broken: spec.gateway: "gw.example.com" is not an IP address',
    'error InvalidSpec BGPPeer broken: spec.gracefulRestart.enabled: "yes" is not a boolean (true or false)',
    'error InvalidSpec BGPPeer broken: spec.gracefulRestart.restartTime: 4096 is not a valid restart time (0..4095 seconds, RFC 4724 §3)',
    'error InvalidSpec BGPPeer broken: spec.holdTime: 2 is not a valid hold time (0 or 3..65535 seconds, RFC 4271 §4.2)',
    'error InvalidSpec BGPPeer broken: spec.keepaliveTime: -1 is not a valid keepalive time (0..65535 seconds)',
    'error InvalidSpec BGPPeer broken: spec.localAsNumber: "65010" is a string, expected a number (write it without quotes)',
    'error InvalidSpec BGPPeer broken: spec.localSpeakers[1]: "" is not a node name',
    'error InvalidSpec BGPPeer broken: spec.localSpeakers[2]: "Node_2" is not a valid name (a DNS subdomain: lower-case alphanumerics, \'-\' and \'.\', at most 253 characters)',
    'warning InvalidSpec BGPPeer broken: spec.localSpeakers[3]: "node-1" is listed twice',
    'error InvalidSpec BGPPeer broken: spec.maxPrefixes: 0 is not a prefix limit (1..4294967295)',
    'error InvalidSpec BGPPeer broken: spec.nodeSelector: "lan=a b" is not a label selector: at position 7: expected \',\' or the end of the selector, found "b"',
    'warning InvalidSpec BGPPeer broken: spec.peerAddress: unknown field, ignored',
    'error InvalidSpec BGPPeer broken: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)',
    'error InvalidSpec BGPPeer broken: spec.peerIP: "172.16.0.300" is not an IP address',
    'error InvalidSpec BGPPeer broken: spec.peerPort: 0 is not a TCP port (1..65535)',
    'warning InvalidSpec BGPPeer fine: spec.speakerCount: ignored because spec.localSpeakers is set',
  ]);
});

test('a missing Secret, a missing key and bad base64 are reported', (t) => {
  const { objects: o } = load('missing-secret.yaml');
  t.deepEqual(lines(validateObjects(o)), [
    'error SecretNotFound BGPPeer no-key: spec.authPassword.secretKeyRef: Secret kube-system/other-secret has no key "password"',
    'error SecretNotFound BGPPeer no-secret: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret not found',
    'error InvalidSpec Secret kube-system/other-secret: data.bad: is not valid base64',
  ]);
});

test('Node problems: labels, addresses, pod CIDRs and a pod CIDR claimed twice', (t) => {
  const { objects: o } = load('bad-nodes.yaml');
  t.deepEqual(lines(validateObjects(o)), [
    'error InvalidSpec Node node-1: metadata.labels.bad key: label key name "bad key" must be alphanumerics, \'-\', \'_\' or \'.\', starting and ending with an alphanumeric',
    'error InvalidSpec Node node-1: metadata.labels.rack: 7 is not a string (quote it)',
    'error InvalidSpec Node node-1: spec.podCIDRs[0]: "10.244.1.0/33" is not a CIDR',
    'warning InvalidSpec Node node-1: spec.podCIDRs[1]: "10.244.1.5/24" has host bits set; advertised as 10.244.1.0/24',
    'error InvalidSpec Node node-1: status.addresses: no InternalIP of family IPv6 for pod CIDR fd00:10:244:1::/64; that prefix is not advertised',
    'error InvalidSpec Node node-1: status.addresses[0].address: "172.16.0.256" is not an IP address',
    "error InvalidSpec Node node-2: spec.podCIDR: 10.244.1.0/24 is also the pod CIDR of Node node-1; only node-1's route is advertised",
  ]);
});

test('two BGPPeers to one peer address are a problem only where their speakers overlap', (t) => {
  const { objects: o } = load('conflict.yaml');
  t.deepEqual(lines(validateObjects(o)), [
    "error InvalidSpec BGPPeer b: spec.peerIP: 172.16.0.1 port 179 is also the peer of BGPPeer a on nodes node-2, node-3; only a's session runs there",
  ]);
});

test('objects of the wrong shape are reported, not thrown on', (t) => {
  const weird = [
    { apiVersion: 'network.openyurt.io/v1alpha1', kind: 'BGPPeer', metadata: { name: 'no-spec' } },
    { apiVersion: 'network.openyurt.io/v1alpha1', kind: 'BGPPeer', metadata: {}, spec: 'text' },
    bgpPeer('types', {
      localSpeakers: 'node-1' as unknown as string[],
      nodeSelector: 7 as unknown as string,
      gracefulRestart: true as unknown as object,
      authPassword: { secretKeyRef: { name: 'Bad_Name' } } as unknown as BGPPeer['spec']['authPassword'],
      localAsNumber: 23456,
      peerIP: '224.0.0.5',
      peerAsNumber: null as unknown as number,
    }),
  ] as unknown as BGPPeer[];
  t.deepEqual(lines(validateObjects(objects({ bgpPeers: weird }))), [
    'error InvalidSpec BGPPeer #2: metadata.name: is missing (required)',
    'error InvalidSpec BGPPeer #2: spec: is not an object',
    'error InvalidSpec BGPPeer no-spec: spec: is missing (required)',
    'error InvalidSpec BGPPeer types: spec.authPassword.secretKeyRef.key: is missing (required)',
    'error InvalidSpec BGPPeer types: spec.authPassword.secretKeyRef.name: "Bad_Name" is not a Secret name',
    'error InvalidSpec BGPPeer types: spec.gracefulRestart: true is not an object',
    'error InvalidSpec BGPPeer types: spec.localAsNumber: 23456 is AS_TRANS (RFC 6793), not a real AS number',
    'error InvalidSpec BGPPeer types: spec.localSpeakers: "node-1" is not a list of node names',
    'error InvalidSpec BGPPeer types: spec.nodeSelector: 7 is not a string (a label selector such as "k=v", or "all()")',
    'error InvalidSpec BGPPeer types: spec.peerAsNumber: is missing (required)',
    'error InvalidSpec BGPPeer types: spec.peerIP: "224.0.0.5" is not a unicast address',
  ]);
});

test('hold time bounds follow RFC 4271 §4.2 and keepalive must be below the hold time', (t) => {
  const check = (spec: Record<string, unknown>) =>
    validateObjects(objects({ bgpPeers: [bgpPeer('p', { localSpeakers: ['n'], ...spec })] })).map((p) => p.line);
  for (const ok of [0, 3, 65535]) t.deepEqual(check({ holdTime: ok }), [], `holdTime ${ok}`);
  for (const bad of [1, 2, 65536, -3]) t.is(check({ holdTime: bad }).length, 1, `holdTime ${bad}`);
  t.deepEqual(check({ keepaliveTime: 30 }), []);
  t.deepEqual(check({ keepaliveTime: 90 }), ['BGPPeer p: spec.keepaliveTime: 90 must be between 1 and the hold time (90), exclusive']);
  t.deepEqual(check({ holdTime: 0, keepaliveTime: 0 }), []);
  for (const ok of [0, 4095]) t.deepEqual(check({ gracefulRestart: { restartTime: ok } }), [], `restartTime ${ok}`);
  t.deepEqual(check({ gracefulRestart: { restartTime: 600, enabled: false, helper: true } }).length, 1);
  t.deepEqual(check({ localAsNumber: 4294967295, peerAsNumber: 1 }), []);
});

test('a Secret with stringData only, or data and stringData, passes', (t) => {
  const peer = bgpPeer('p', { localSpeakers: ['node-1'], authPassword: { secretKeyRef: { name: 's', key: 'k' } } });
  t.deepEqual(validateObjects(objects({ bgpPeers: [peer], secrets: [secret('s', { stringData: { k: 'x' } })] })), []);
  t.deepEqual(
    validateObjects(objects({ bgpPeers: [peer], secrets: [secret('s', { data: { k: '!!' }, stringData: { k: 'x' } })] })).map((p) => p.line),
    ['Secret kube-system/s: data.k: is not valid base64'],
  );
});

test('a Node without a name is reported with its position', (t) => {
  const n = node('x');
  delete n.metadata.name;
  t.deepEqual(validateObjects(objects({ nodes: [node('a'), n] })).map((p) => p.line), ['Node #2: metadata.name: is missing (required)']);
});

test('a BGPPeer with a bad field and a missing Secret gets both lines in one run', (t) => {
  const peer = bgpPeer('peer', { peerAsNumber: 70000000000, authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } });
  t.deepEqual(validateObjects(objects({ bgpPeers: [peer], nodes: [node('node-1')] })).map((p) => p.line), [
    'BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret not found',
    'BGPPeer peer: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)',
  ]);
});
