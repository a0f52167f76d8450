// The BGPPeer CustomResourceDefinition: its names, scope, subresource and
// printer columns, and its openAPIV3Schema (with the CEL rules through their
// TypeScript table) accepting good BGPPeers and rejecting bad ones.

import test from 'ava';
import { celRules } from '../kube/cel-rules.js';
import { loadCrd, storageVersion, validateBGPPeer } from '../kube/crd.js';
import { celRulesIn } from '../kube/openapi-schema.js';

function peer(spec: Record<string, unknown>, status?: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'network.openyurt.io/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name: 'peer' },
    spec: { localSpeakers: ['node-1', 'node-2'], localAsNumber: 65010, peerIP: '172.16.0.1', peerAsNumber: 65001, ...spec },
    ...(status ? { status } : {}),
  };
}

function fields(spec: Record<string, unknown>): string[] {
  // One field can fail several checks (an empty name is too short and misses the pattern).
  return [...new Set(validateBGPPeer(peer(spec)).map((e) => e.field))];
}

test('the CRD is cluster-scoped BGPPeer v1alpha1, served and stored, with a status subresource', (t) => {
  const crd = loadCrd();
  t.is(crd.apiVersion, 'apiextensions.k8s.io/v1');
  t.is(crd.metadata.name, 'bgppeers.network.openyurt.io');
  t.is(crd.spec.scope, 'Cluster');
  t.like(crd.spec.names, { kind: 'BGPPeer', listKind: 'BGPPeerList', plural: 'bgppeers', singular: 'bgppeer' });
  const v = storageVersion(crd);
  t.is(v.name, 'v1alpha1');
  t.deepEqual(v.subresources, { status: {} });
});

test('the printer columns are the ones kubectl get bgppeer shows, with Established only in wide output', (t) => {
  const columns = storageVersion(loadCrd()).additionalPrinterColumns ?? [];
  t.deepEqual(
    columns.map((c) => [c.name.toUpperCase(), c.jsonPath, c.priority ?? 0]),
    [
      ['LOCALSPEAKERS', '.spec.localSpeakers', 0],
      ['LOCALASNUMBER', '.spec.localAsNumber', 0],
      ['PEERIP', '.spec.peerIP', 0],
      ['PEERASNUMBER', '.spec.peerAsNumber', 0],
      ['AGE', '.metadata.creationTimestamp', 0],
      ['ESTABLISHED', '.status.conditions[?(@.type=="Established")].status', 1],
    ],
  );
  t.is(columns.find((c) => c.name === 'Age')!.type, 'date');
});

test('every CEL rule in the CRD has a TypeScript equivalent and the table has no stale rules', (t) => {
  const inCrd = celRulesIn(storageVersion(loadCrd()).schema.openAPIV3Schema).sort();
  t.true(inCrd.length >= 2);
  t.deepEqual([...celRules.keys()].sort(), inCrd);
});

test('the schema accepts the design example and fuller BGPPeers', (t) => {
  t.deepEqual(validateBGPPeer(peer({ nodeSelector: 'alibabacloud.com/nodepool-id=npxxx', gateway: '172.16.0.254', authPassword: { secretKeyRef: { name: 'bgp-secret', key: 'password' } } })), []);
  t.deepEqual(validateBGPPeer(peer({ peerIP: 'fd00::1', gateway: 'fd00::fe', localAsNumber: 4200000000, peerAsNumber: 4294967295 })), []);
  t.deepEqual(
    validateBGPPeer(
      peer({
        localSpeakers: [],
        nodeSelector: 'all()',
        speakerCount: 3,
        peerPort: 1179,
        holdTime: 0,
        connectRetryTime: 5,
        gracefulRestart: { enabled: true, restartTime: 4095 },
        ebgpMultihop: 255,
        maxPrefixes: 1000,
      }),
    ),
    [],
  );
  t.deepEqual(validateBGPPeer(peer({ holdTime: 3, keepaliveTime: 1 })), []);
  t.deepEqual(validateBGPPeer(peer({ holdTime: 65535, gracefulRestart: { restartTime: 0 } })), []);
});

test('the schema accepts a status with per-speaker state and conditions', (t) => {
  const status = {
    observedGeneration: 1,
    speakers: {
      'node-1': {
        state: 'Established',
        lastTransitionTime: '2024-05-01T10:00:00Z',
        localAddress: '172.16.0.11',
        peerRouterID: '172.16.0.1',
        holdTime: 90,
        gracefulRestart: { local: true, peer: true, peerRestartTime: 120 },
        advertisedPrefixes: 12,
        receivedPrefixes: 0,
      },
      'node-2': { state: 'Active', lastError: 'connect refused' },
    },
    conditions: [{ type: 'Established', status: 'False', reason: 'SpeakersDown', message: '1 of 2 speakers established', lastTransitionTime: '2024-05-01T10:00:00Z', observedGeneration: 1 }],
  };
  t.deepEqual(validateBGPPeer(peer({}, status)), []);
  const bad = validateBGPPeer(peer({}, { speakers: { 'node-1': { state: 'Up' } }, conditions: [{ type: 'Established', status: 'Yes' }] }));
  t.deepEqual(bad.map((e) => e.field).sort(), [
    'status.conditions[0].lastTransitionTime',
    'status.conditions[0].message',
    'status.conditions[0].reason',
    'status.conditions[0].status',
    'status.speakers.node-1.state',
  ]);
});

test('AS numbers must be 1..4294967295', (t) => {
  t.deepEqual(fields({ localAsNumber: 0 }), ['spec.localAsNumber']);
  t.deepEqual(fields({ peerAsNumber: 0 }), ['spec.peerAsNumber']);
  t.deepEqual(fields({ peerAsNumber: 4294967296 }), ['spec.peerAsNumber']);
  t.deepEqual(fields({ localAsNumber: 4294967296 }), ['spec.localAsNumber']);
  t.deepEqual(fields({ peerAsNumber: 65001.5 }), ['spec.peerAsNumber']);
  t.deepEqual(fields({ peerAsNumber: '65001' }), ['spec.peerAsNumber']);
});

test('peerIP and gateway must be IPv4 or IPv6 addresses', (t) => {
  t.deepEqual(fields({ peerIP: '172.16.0.300' }), ['spec.peerIP']);
  t.deepEqual(fields({ peerIP: 'switch.example' }), ['spec.peerIP']);
  t.deepEqual(fields({ peerIP: '172.16.0.0/24' }), ['spec.peerIP']);
  t.deepEqual(fields({ peerIP: 'fd00::1::2' }), ['spec.peerIP']);
  t.deepEqual(fields({ gateway: '10.0.0' }), ['spec.gateway']);
  const message = validateBGPPeer(peer({ peerIP: '172.16.0.300' }))[0].message;
  t.regex(message, /172\.16\.0\.300/);
});

test('required spec fields are reported as required', (t) => {
  const obj = peer({});
  const spec = obj.spec as Record<string, unknown>;
  delete spec.peerIP;
  delete spec.localAsNumber;
  const errors = validateBGPPeer(obj);
  t.deepEqual(errors.map((e) => [e.field, e.reason]).sort(), [
    ['spec.localAsNumber', 'FieldValueRequired'],
    ['spec.peerIP', 'FieldValueRequired'],
  ]);
});

test('localSpeakers must be distinct non-empty node names', (t) => {
  t.deepEqual(fields({ localSpeakers: ['node-1', ''] }), ['spec.localSpeakers[1]']);
  t.deepEqual(fields({ localSpeakers: ['Node_1'] }), ['spec.localSpeakers[0]']);
  t.deepEqual(fields({ localSpeakers: ['node-1', 'node-1'] }), ['spec.localSpeakers[1]']);
});

test('holdTime must be 0 or 3..65535 seconds and keepaliveTime below it', (t) => {
  t.deepEqual(fields({ holdTime: 1 }), ['spec.holdTime']);
  t.deepEqual(fields({ holdTime: 2 }), ['spec.holdTime']);
  t.deepEqual(fields({ holdTime: 70000 }), ['spec.holdTime']);
  t.deepEqual(fields({ holdTime: -1 }), ['spec.holdTime']);
  t.regex(validateBGPPeer(peer({ holdTime: 2 }))[0].message, /holdTime must be 0 or at least 3 seconds/);
  t.deepEqual(fields({ holdTime: 9, keepaliveTime: 9 }), ['spec']);
  t.deepEqual(fields({ holdTime: 0, keepaliveTime: 9 }), []);
});

test('graceful restart time is a 12-bit field and the other timers and limits keep their ranges', (t) => {
  t.deepEqual(fields({ gracefulRestart: { restartTime: 4096 } }), ['spec.gracefulRestart.restartTime']);
  t.deepEqual(fields({ gracefulRestart: { enabled: 'yes' } }), ['spec.gracefulRestart.enabled']);
  t.deepEqual(fields({ peerPort: 0 }), ['spec.peerPort']);
  t.deepEqual(fields({ peerPort: 65536 }), ['spec.peerPort']);
  t.deepEqual(fields({ connectRetryTime: 0 }), ['spec.connectRetryTime']);
  t.deepEqual(fields({ keepaliveTime: 0 }), ['spec.keepaliveTime']);
  t.deepEqual(fields({ ebgpMultihop: 256 }), ['spec.ebgpMultihop']);
  t.deepEqual(fields({ ebgpMultihop: 0 }), ['spec.ebgpMultihop']);
  t.deepEqual(fields({ speakerCount: 0 }), ['spec.speakerCount']);
  t.deepEqual(fields({ maxPrefixes: 0 }), ['spec.maxPrefixes']);
});

test('a secretKeyRef needs both a non-empty name and key', (t) => {
  t.deepEqual(fields({ authPassword: { secretKeyRef: { name: 'bgp-secret' } } }), ['spec.authPassword.secretKeyRef.key']);
  t.deepEqual(fields({ authPassword: { secretKeyRef: { name: 'bgp-secret', key: '' } } }), ['spec.authPassword.secretKeyRef.key']);
  t.deepEqual(fields({ authPassword: { secretKeyRef: { key: 'password' } } }), ['spec.authPassword.secretKeyRef.name']);
  t.deepEqual(fields({ authPassword: {} }), ['spec.authPassword.secretKeyRef']);
});
