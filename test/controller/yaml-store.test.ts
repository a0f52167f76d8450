// DocumentStore (src/controller/yaml.ts), the incremental reader behind the
// file source, against parseObjects of the same text: after any sequence of
// edits (documents inserted, removed, changed, moved; markers with content,
// broken YAML, repeated names, directives, text before the first marker),
// every read gives the objects and problems parseObjects gives, and the Node
// change it reports turns the previous Node set into the new one. Also:
// documents outside the edited stretch keep their objects.

import test from 'ava';
import fc from 'fast-check';
import type { Node } from '../../src/controller/resources.js';
import { DocumentStore, parseObjects } from '../../src/controller/yaml.js';

const nodeDoc = (name: string, cidr: string, extra = '') =>
  `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\nspec: {podCIDRs: ["${cidr}"]}\nstatus: {addresses: [{type: InternalIP, address: 10.0.0.1}]}\n${extra}`;

/** Document texts that exercise every rule of the reader; names and CIDRs collide on purpose. */
const PIECES = [
  nodeDoc('a', '10.244.1.0/24'),
  nodeDoc('a', '10.244.2.0/24'),
  nodeDoc('b', '10.244.2.0/24'),
  nodeDoc('c', '10.244.3.0/24', '# é comment\n'),
  nodeDoc('d', '10.244.4.0/33'),
  'apiVersion: network.openyurt.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: p}\nspec: {localAsNumber: 65010, peerIP: 10.0.0.9, peerAsNumber: 65001, localSpeakers: [a]}\n',
  'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kube-system}\ndata: {password: cGFzcw==}\n',
  'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node, metadata: {name: e}}\n- {apiVersion: v1, kind: Node, metadata: {name: f}}\n',
  'kind: [Node\n',
  'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n',
  'apiVersion: v1\nkind: Node\nmetadata: {}\n',
  '# only a comment\n',
  '',
  'apiVersion: v1\nkind: Node\nmetadata: {name: g}\n----\n',
  'a: &x 1\nb: *x\n',
];
const SEPARATORS = ['---\n', '--- \n', '---\n\n', '--- {apiVersion: v1, kind: Node, metadata: {name: m}}\n'];

interface Doc {
  readonly piece: number;
  readonly sep: number;
}

const text = (lead: string, docs: readonly Doc[]) => lead + docs.map((d) => SEPARATORS[d.sep]! + PIECES[d.piece]!).join('');

const arbDoc = fc.record({ piece: fc.nat(PIECES.length - 1), sep: fc.nat(SEPARATORS.length - 1) });
const arbEdit = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), doc: arbDoc }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), doc: arbDoc }),
  fc.record({ op: fc.constant('move' as const), at: fc.nat(), to: fc.nat() }),
  fc.record({ op: fc.constant('lead' as const), lead: fc.constantFrom('', '# head\n', nodeDoc('h', '10.244.9.0/24'), '%YAML 1.2\n') }),
  fc.record({ op: fc.constant('same' as const) }),
);
type Edit = typeof arbEdit extends fc.Arbitrary<infer E> ? E : never;

function applyEdit(state: { lead: string; docs: Doc[] }, e: Edit): { lead: string; docs: Doc[] } {
  const docs = [...state.docs];
  const at = 'at' in e ? e.at % (docs.length + 1) : 0;
  switch (e.op) {
    case 'insert':
      docs.splice(at, 0, e.doc);
      break;
    case 'remove':
      docs.splice(at, 1);
      break;
    case 'replace':
      docs[Math.min(at, Math.max(0, docs.length - 1))] = e.doc;
      break;
    case 'move': {
      const [d] = docs.splice(at, 1);
      if (d) docs.splice(e.to % (docs.length + 1), 0, d);
      break;
    }
    case 'lead':
      return { lead: e.lead, docs };
    case 'same':
      break;
  }
  return { lead: state.lead, docs };
}

test('every read of an edited file gives what parseObjects gives, and its Node change is exact', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('', '# head\n', nodeDoc('h', '10.244.9.0/24'), '%YAML 1.2\n'), fc.array(arbDoc, { maxLength: 12 }), fc.array(fc.tuple(arbEdit, fc.boolean()), { minLength: 1, maxLength: 8 }), async (lead, first, edits) => {
      const store = new DocumentStore('f.yaml');
      let state = { lead, docs: first };
      let before: Node[] | null = null;
      for (const [edit, full] of [[{ op: 'same' as const }, false] as const, ...edits]) {
        state = applyEdit(state, edit);
        const now = text(state.lead, state.docs);
        const read = await store.commit(store.split(now, full));
        const want = parseObjects(now, 'f.yaml');
        t.deepEqual(read.objects, want.objects, now);
        t.deepEqual(read.problems, want.problems, now);
        t.is(store.lastText, now);
        if (read.nodeChange && before) {
          const nodes = new Set(before);
          for (const n of read.nodeChange.removed) t.true(nodes.delete(n), 'a removed Node was in the set');
          for (const n of read.nodeChange.added) nodes.add(n);
          t.is(nodes.size, read.objects.nodes.length);
          t.true(read.objects.nodes.every((n) => nodes.has(n)), 'the change gives the same Node objects');
        }
        before = read.objects.nodes;
      }
    }),
    { numRuns: 300 },
  );
});

test('a change in one document leaves the objects of the others as they were', async (t) => {
  const docs = Array.from({ length: 200 }, (_, i) => nodeDoc(`n${i}`, `10.${i >> 8}.${i & 255}.0/24`));
  const store = new DocumentStore('f.yaml');
  const a = await store.commit(store.split(docs.join('---\n')));
  docs[100] = nodeDoc('n100', '10.99.0.0/24');
  const b = await store.commit(store.split(docs.join('---\n')));
  t.is(b.objects.nodes.length, 200);
  t.deepEqual(b.objects.nodes.map((n, i) => (n === a.objects.nodes[i] ? '' : n.metadata.name)).filter(Boolean), ['n100']);
  t.is(b.nodeChange?.removed[0], a.objects.nodes[100]);
  t.is(b.nodeChange?.added[0], b.objects.nodes[100]);
  t.is(b.nodeChange?.removed.length, 1);
  t.is(b.nodeChange?.added.length, 1);
});

test('problems of documents after an edit name their new lines', async (t) => {
  const docs = [nodeDoc('a', '10.0.0.0/24'), 'kind: [Node\n'];
  const store = new DocumentStore('f.yaml');
  const a = await store.commit(store.split(docs.join('---\n')));
  const b = await store.commit(store.split(['# one more line\n' + docs[0], docs[1]].join('---\n')));
  const lineOf = (l: string) => Number(/^f\.yaml:(\d+):/.exec(l)?.[1]);
  t.is(lineOf(b.problems[0]!.line), lineOf(a.problems[0]!.line) + 1);
  t.deepEqual(b.problems, parseObjects(['# one more line\n' + docs[0], docs[1]].join('---\n'), 'f.yaml').problems);
});
