// parseObjects: multi-document YAML to objects; syntax errors with file,
// line and column; unknown kinds, wrong apiVersions, missing names and
// repeated objects reported.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseObjects } from '../../src/controller/yaml.js';
import { CORE_SCHEMA, load } from 'js-yaml';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');

test('documents of every kind are returned, and a List is unpacked', (t) => {
  const { objects, problems } = parseObjects(fixture('good.yaml'), 'good.yaml');
  t.deepEqual(problems, []);
  t.deepEqual(objects.bgpPeers.map((p) => p.metadata.name), ['lan-a', 'lan-b']);
  t.deepEqual(objects.secrets.map((s) => s.metadata.name), ['bgp-secret']);
  t.deepEqual(objects.nodes.map((n) => n.metadata.name), ['node-1', 'node-2', 'node-3']);
  // YAML 1.2 core schema: numbers are numbers, a quoted "True" stays a string.
  t.is(objects.bgpPeers[1]!.spec.localAsNumber, 4200000000);
  t.is(objects.nodes[0]!.status!.conditions![0]!.status, 'True');
});

test('a syntax error names the file, line and column and skips only that document', (t) => {
  const { objects, problems } = parseObjects(fixture('bad-syntax.yaml'), 'bad-syntax.yaml');
  t.deepEqual(objects.bgpPeers.map((p) => p.metadata.name), ['ok']);
  t.deepEqual(problems.map((p) => p.line), [
    'bad-syntax.yaml:13:3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]; document 2 skipped',
  ]);
  t.is(problems[0]!.kind, 'File');
  t.is(problems[0]!.field, '13:3');
});

test('a bad indentation is located at the mapping it breaks', (t) => {
  const text = 'apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n   labels: {x: y}\n';
  const { problems, objects } = parseObjects(text, 'n.yaml');
  t.is(objects.nodes.length, 0);
  t.is(problems[0]!.line, 'n.yaml:4:9: YAML syntax error: Nested mappings are not allowed in compact mappings; document 1 skipped');
});

test('unknown kinds, wrong apiVersions, missing names and repeats are reported', (t) => {
  const { objects, problems } = parseObjects(fixture('bad-objects.yaml'), 'bad-objects.yaml');
  t.deepEqual(problems.map((p) => `${p.severity ?? 'error'} ${p.line}`), [
    'warning bad-objects.yaml:1:1: document 1: kind ConfigMap is not BGPPeer, Secret or Node; skipped',
    'error bad-objects.yaml:5:1: BGPPeer old-version: apiVersion "network.openyurt.io/v1" is not network.openyurt.io/v1alpha1; skipped',
    'error bad-objects.yaml:10:1: document 3: Node without metadata.name; skipped',
    'error bad-objects.yaml:14:1: document 4 is not an object; skipped',
    'warning bad-objects.yaml:22:1: Node node-1 is defined again (first at 17:1); the last definition is used',
  ]);
  t.deepEqual(objects.bgpPeers, []);
  // The last definition wins, as kubectl apply of the file would leave it.
  t.deepEqual(objects.nodes.map((n) => n.status!.addresses![0]!.address), ['10.0.0.2']);
});

test('Secrets with the same name in different namespaces are different objects', (t) => {
  const text = [
    'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kube-system}\nstringData: {k: a}',
    'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\nstringData: {k: b}',
  ].join('\n---\n');
  const { objects, problems } = parseObjects(text, 's.yaml');
  t.deepEqual(problems, []);
  t.deepEqual(objects.secrets.map((s) => s.metadata.namespace), ['kube-system', 'default']);
});

test('an empty file and empty documents give no objects and no problems', (t) => {
  t.deepEqual(parseObjects('', 'e.yaml'), { objects: { bgpPeers: [], secrets: [], nodes: [] }, problems: [] });
  t.deepEqual(parseObjects('---\n# only a comment\n---\n', 'e.yaml').problems, []);
});

test('alias bombs are refused instead of expanded', (t) => {
  const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 0; i < 8; i++) lines.push(`${'b'.repeat(i + 1)}: &${'b'.repeat(i + 1)} [${new Array(10).fill(`*${i === 0 ? 'a' : 'b'.repeat(i)}`).join(', ')}]`);
  const text = `apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
  const { objects, problems } = parseObjects(text, 'bomb.yaml');
  t.is(objects.nodes.length, 0);
  t.is(problems.length, 1);
  t.regex(problems[0]!.line, /^bomb\.yaml:1:1: .*alias.*; document 1 skipped$/i);
});

test('documents come out with the values js-yaml reads, .inf and .nan included', (t) => {
  const text = [
    'apiVersion: v1\nkind: Node\nmetadata: {name: node-with-a-long-name, labels: {zone: eu-west-1a-rack-17}}',
    'spec: {podCIDRs: [10.244.100.0/24, "fd00:10:244:100::/64"], taints: [], unschedulable: false, weight: -0, big: 18446744073709551616, ratio: 0.25}',
    'status: {addresses: [{type: InternalIP, address: 172.16.100.200}], note: ~, when: 2026-11-23}',
    '---',
    'apiVersion: network.openyurt.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: p}\nspec: {peerAsNumber: .inf, localAsNumber: -.Inf, holdTime: .NaN, peerIP: 10.0.0.1}',
  ].join('\n');
  const { objects } = parseObjects(text, 'test.yaml');
  t.deepEqual(objects.nodes[0], load(text.split('\n---\n')[0]!, { schema: CORE_SCHEMA }) as never);
  const spec = objects.bgpPeers[0]!.spec as unknown as Record<string, unknown>;
  t.is(spec.peerAsNumber, Infinity);
  t.is(spec.localAsNumber, -Infinity);
  t.true(Number.isNaN(spec.holdTime));
});
