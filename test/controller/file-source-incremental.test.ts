// The incremental reload of the file source (src/controller/file-source.ts
// with the DocumentStore of yaml.ts) and the Node patching of the Reconciler
// (src/controller/reconciler.ts) against the rules they implement, computed
// from scratch: after any sequence of file versions, each load gives what
// parseObjects + validateObjects + "keep the previous version of a bad
// object" give, and the reconciler's desired state equals desiredState of
// the objects in force. The documents collide on purpose: Nodes claiming one
// pod CIDR (the winner changes as Nodes come and go), bad pod CIDRs and
// labels (previous versions kept), two BGPPeers with one peer address (the
// whole check), broken YAML (nothing applied), Nodes defined twice.

import test from 'ava';
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desiredState } from '../../src/controller/desired-state.js';
import { FileSource } from '../../src/controller/file-source.js';
import { Reconciler } from '../../src/controller/reconciler.js';
import { isError, type ObjectSet, type Problem } from '../../src/controller/resources.js';
import { validateObjects } from '../../src/controller/validate.js';
import { parseObjects } from '../../src/controller/yaml.js';
import { silentLogger } from '../../src/log.js';
import { plainState } from './helpers.js';

const nodeDoc = (name: string, cidr: string, label = 'a') =>
  `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}, labels: {lan: "${label}"}}\nspec: {podCIDRs: ["${cidr}"]}\nstatus: {addresses: [{type: InternalIP, address: 10.0.0.${name.length}}], conditions: [{type: Ready, status: "True"}]}\n`;
const peerDoc = (name: string, ip: string, speakers: string) =>
  `apiVersion: network.openyurt.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${name}}\nspec: {localAsNumber: 65010, peerIP: ${ip}, peerAsNumber: 65001, nodeSelector: lan=a${speakers}}\n`;

const PIECES = [
  nodeDoc('a', '10.244.1.0/24'),
  nodeDoc('a', '10.244.2.0/24'),
  nodeDoc('b', '10.244.2.0/24'),
  nodeDoc('bb', '10.244.2.0/24'),
  nodeDoc('c', '10.244.3.0/24', 'b'),
  nodeDoc('c', '10.244.3.0/33'),
  nodeDoc('d', '10.244.4.0/24', '-bad-'),
  nodeDoc('e', 'nope'),
  nodeDoc('sp', '10.244.5.0/24'),
  peerDoc('p', '10.0.0.9', ', localSpeakers: [sp]'),
  peerDoc('q', '10.0.0.9', ', speakerCount: 1'),
  peerDoc('r', '10.0.0.8', ''),
  'kind: [Node\n',
];

/** The load result by the rules, from scratch; `current` is the object set in force before. */
function reference(current: ObjectSet, text: string, source: string) {
  const parsed = parseObjects(text, source);
  if (parsed.problems.some((p) => isError(p) && p.message.startsWith('YAML syntax error'))) {
    return { objects: current, problems: parsed.problems, applied: false, keptPrevious: [] as string[], skipped: [] as string[] };
  }
  const problems: Problem[] = [...parsed.problems, ...validateObjects(parsed.objects)];
  const bad = new Set(problems.filter((p) => isError(p) && p.kind !== 'File').map((p) => `${p.kind} ${p.name}`));
  const keptPrevious: string[] = [];
  const skipped: string[] = [];
  const pick = <T extends { metadata?: { name?: string; namespace?: string } }>(kind: string, now: T[], before: T[]): T[] => {
    const id = (o: T) => (kind === 'Secret' && o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : String(o.metadata?.name));
    const out: T[] = [];
    for (const o of now) {
      if (!bad.has(`${kind} ${id(o)}`)) out.push(o);
      else {
        const old = before.find((b) => id(b) === id(o));
        if (old) {
          out.push(old);
          keptPrevious.push(`${kind} ${id(o)}`);
        } else skipped.push(`${kind} ${id(o)}`);
      }
    }
    return out;
  };
  const objects: ObjectSet = {
    bgpPeers: pick('BGPPeer', parsed.objects.bgpPeers, current.bgpPeers),
    secrets: pick('Secret', parsed.objects.secrets, current.secrets),
    nodes: pick('Node', parsed.objects.nodes, current.nodes),
  };
  return { objects, problems, applied: true, keptPrevious, skipped };
}

test('every reload gives the objects and problems the rules give, and the reconciler follows them', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'file-source-incremental-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.nat(PIECES.length - 1), { maxLength: 10 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(PIECES.length - 1), { maxLength: 10 }),
      async (versions, base) => {
        const path = join(dir, `objects-${run++}.yaml`);
        const source = new FileSource({ path, log: silentLogger() });
        const reconciler = new Reconciler({ speaker: { sync: () => undefined }, nodeName: 'sp', log: silentLogger() });
        let current: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
        // Each version edits the shared base, so consecutive texts share heads and tails.
        for (const v of [[], ...versions]) {
          const text = [...base.slice(0, 3), ...v, ...base.slice(3)].map((i) => PIECES[i]!).join('---\n');
          await writeFile(path, text);
          const r = (await source.load(true))!;
          const want = reference(current, text, path);
          t.is(r.applied, want.applied, text);
          t.deepEqual(r.objects, want.objects, text);
          t.deepEqual(r.problems, want.problems, text);
          t.deepEqual(r.keptPrevious, want.keptPrevious);
          t.deepEqual(r.skipped, want.skipped);
          current = r.objects;
          reconciler.update(r.objects);
          const state = reconciler.apply()!;
          t.deepEqual(plainState(state), plainState(desiredState(r.objects, 'sp')), text);
        }
        source.close();
      },
    ),
    { numRuns: 150 },
  );
});

test('the reconciler patches Node lists with repeated and missing names as whole lists', (t) => {
  const node = (name: unknown, cidr: string) =>
    ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { lan: 'a' } }, spec: { podCIDRs: [cidr] },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] } }) as unknown as ObjectSet['nodes'][number];
  const peer = parseObjects(peerDoc('p', '10.0.0.9', ', localSpeakers: [sp]'), 'p.yaml').objects.bgpPeers;
  const reconciler = new Reconciler({ speaker: { sync: () => undefined }, nodeName: 'sp', log: silentLogger() });
  const a = node('a', '10.244.1.0/24');
  const b = node('b', '10.244.2.0/24');
  const lists = [
    [a, b],
    [a, node('a', '10.244.3.0/24'), b],
    [a, node(undefined, '10.244.4.0/24'), b],
    [a, node('c', '10.244.5.0/24'), b],
    [a, node('b', '10.244.6.0/24'), b],
    [a, b],
  ];
  for (const nodes of lists) {
    const objects: ObjectSet = { bgpPeers: peer, secrets: [], nodes };
    reconciler.update(objects);
    t.deepEqual(plainState(reconciler.apply()!), plainState(desiredState(objects, 'sp')));
  }
});
