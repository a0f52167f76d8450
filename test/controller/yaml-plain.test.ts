// The plain-YAML reader (src/controller/yaml-plain.ts) against js-yaml with
// the core schema, which yaml.ts uses for everything the reader gives up
// on. Documents are generated from trees (block and flow mappings and
// sequences, compact and indentless forms, plain and quoted scalars,
// comments, blank lines) and then mutated character by character. Whatever
// the reader accepts must be exactly what js-yaml makes of it (through the
// JSON copy yaml.ts keeps); what plain manifests are made of must be
// accepted; and a value kept from a document must not keep the text alive.

import test from 'ava';
import fc from 'fast-check';
import { load, CORE_SCHEMA } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NOT_PLAIN, readPlainYaml } from '../../src/controller/yaml-plain.js';
import { splitDocuments } from '../../src/controller/yaml.js';

type Tree =
  | { readonly kind: 'scalar'; readonly token: string; readonly style: 'plain' | 'single' | 'double' }
  | { readonly kind: 'map'; readonly entries: readonly (readonly [string, Tree])[]; readonly flow: boolean }
  | { readonly kind: 'seq'; readonly items: readonly Tree[]; readonly flow: boolean };

interface Layout {
  readonly step: number;
  readonly indentless: boolean;
  readonly compact: boolean;
  readonly comments: boolean;
  readonly marker: boolean;
}

/** What js-yaml makes of the text, as yaml.ts keeps it; `rejected` when it throws. */
function reference(text: string): unknown {
  try {
    const v = load(text, { schema: CORE_SCHEMA });
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
  } catch {
    return 'rejected by js-yaml';
  }
}

function quote(token: string, style: 'plain' | 'single' | 'double'): string {
  if (style === 'single') return `'${token.replace(/'/g, "''")}'`;
  if (style === 'double') return `"${token}"`;
  return token;
}

/** A tree on one line: scalars as they are, collections in flow style. */
function inline(t: Tree): string {
  if (t.kind === 'scalar') return quote(t.token, t.style);
  if (t.kind === 'seq') return `[${t.items.map(inline).join(', ')}]`;
  return `{${t.entries.map(([k, v]) => `${k}: ${inline(v)}`).join(', ')}}`;
}

const isBlock = (t: Tree) => t.kind !== 'scalar' && !t.flow && (t.kind === 'map' ? t.entries.length : t.items.length) > 0;

/** A tree as block lines at `indent`, added to `out`. */
function block(t: Tree, indent: number, l: Layout, out: string[]): void {
  const pad = ' '.repeat(indent);
  const comment = () => {
    if (l.comments && out.length % 3 === 1) out.push(`${' '.repeat(out.length % 5)}# note ${out.length}: a, b`);
  };
  if (t.kind === 'map') {
    for (const [k, v] of t.entries) {
      comment();
      if (!isBlock(v)) {
        out.push(`${pad}${k}: ${inline(v)}${l.comments && out.length % 4 === 0 ? '  # trailing' : ''}`);
      } else {
        out.push(`${pad}${k}:`);
        block(v, v.kind === 'seq' && l.indentless ? indent : indent + l.step, l, out);
      }
    }
  } else if (t.kind === 'seq') {
    for (const item of t.items) {
      comment();
      if (!isBlock(item)) out.push(`${pad}- ${inline(item)}`);
      else if (item.kind === 'map' && l.compact) {
        const inner: string[] = [];
        block(item, indent + 2, l, inner);
        const first = inner.findIndex((line) => !line.trimStart().startsWith('#'));
        inner[first] = `${pad}- ${inner[first]!.slice(indent + 2)}`;
        out.push(...inner);
      } else {
        out.push(`${pad}-`);
        block(item, indent + l.step, l, out);
      }
    }
  } else out.push(`${pad}${inline(t)}`);
}

function render(t: Tree, l: Layout): string {
  const out: string[] = [];
  if (l.marker) out.push('---');
  if (l.comments) out.push('# a document', '');
  block(t, 0, l, out);
  return `${out.join('\n')}\n`;
}

/** Scalars a manifest is made of, each read the same way plain or quoted. */
const SAFE_TOKENS = [
  'v1', 'Node', 'node-1', 'network.openyurt.io/v1alpha1', '10.244.1.0/24', '172.16.0.11', 'fd00:10:244:1::/64',
  'InternalIP', 'all()', 'alibabacloud.com/nodepool-id=npxxx', 'a b  c', 'x:y', 'a#b', 'http://h/p?q=1',
  'ünïcödé ✓', 'a very long value of many words', 'it\'s', '7901212Ki', '5.15.0-105-generic', 'containerd://1.7.13',
];
/** Plain scalars that resolve to something else than a string, or to one only by luck. */
const TYPED_TOKENS = ['65010', '0', '4294967295', 'true', 'False', 'TRUE', 'null', 'Null', '~', 'yes', 'on', 'nulls', 'truth'];
const TRICKY_TOKENS = [
  '', '1.29', '0X1F', '1e', '010', '0x1F', '0o17', '0b101', '1e3', '1.5', '-1', '+1', '.5', '.inf', '-.Inf', '.NaN', '1_000', '12345678901234567890',
  '1.2.3', '1.', '0.0.0.0', '- x', '-x', '?x', ':x', 'a: b', 'a :b', 'a #b', '#x', '[x', ']x', '{x', '}x', 'x,y',
  '&a x', '*a', '!t x', '!!str x', '|', '>', '%x', '@x', '`x', '\'', '"', 'a\\b', 'a"b', '...', '---', ' x', 'x ',
  '__proto__', 'toString', '\u0085', '\u00a0x', '\u2028',
];
const SAFE_KEYS = ['apiVersion', 'kind', 'metadata', 'name', 'labels', 'spec', 'podCIDR', 'podCIDRs', 'status',
  'addresses', 'type', 'address', 'kubernetes.io/hostname', 'node-role.kubernetes.io/worker', 'a_b', 'x1', '_'];
const TRICKY_KEYS = ['true', 'null', '~', '1', '0x1', '1e3', '.inf', '-a', 'a b', '"q"', "'q'", '__proto__', 'constructor',
  'a:b', '? a', '&a k', '*a', '!t k', 'k#', '<<', 'ü', 'x'.repeat(1100), 'name'];

function trees(tokens: fc.Arbitrary<string>, keys: fc.Arbitrary<string>, styles: fc.Arbitrary<'plain' | 'single' | 'double'>, unique: boolean) {
  return fc.letrec<{ tree: Tree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ kind: fc.constant('scalar' as const), token: tokens, style: styles }),
      fc.record({
        kind: fc.constant('map' as const),
        entries: unique
          ? fc.uniqueArray(fc.tuple(keys, tie('tree')), { maxLength: 4, selector: ([k]) => k })
          : fc.array(fc.tuple(keys, tie('tree')), { maxLength: 4 }),
        flow: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('seq' as const), items: fc.array(tie('tree'), { maxLength: 4 }), flow: fc.boolean() }),
    ),
  })).tree;
}

const layouts = fc.record({
  step: fc.integer({ min: 1, max: 4 }),
  indentless: fc.boolean(),
  compact: fc.boolean(),
  comments: fc.boolean(),
  marker: fc.boolean(),
});

/** A quoted token keeps its characters; a plain one is read by the core schema. */
const safeScalar = fc.oneof(
  fc.record({ token: fc.constantFrom(...SAFE_TOKENS.filter((s) => !s.includes("'"))), style: fc.constantFrom('plain' as const, 'single' as const, 'double' as const) }),
  fc.record({ token: fc.constantFrom(...SAFE_TOKENS), style: fc.constant('single' as const) }),
  fc.record({ token: fc.constantFrom(...TYPED_TOKENS), style: fc.constant('plain' as const) }),
);

test('documents of plain block and flow YAML are read, as js-yaml reads them', (t) => {
  const safeTrees = trees(fc.constant(''), fc.constantFrom(...SAFE_KEYS), fc.constant('plain' as const), true);
  // Scalars are drawn apart from the shape, so every leaf gets a safe token and style.
  const doc = fc.tuple(safeTrees, layouts, fc.array(safeScalar, { minLength: 64, maxLength: 64 })).map(([shape, layout, leaves]) => {
    let n = 0;
    const fill = (tree: Tree): Tree => {
      if (tree.kind === 'scalar') return { kind: 'scalar', ...leaves[n++ % leaves.length]! };
      if (tree.kind === 'map') return { ...tree, entries: tree.entries.map(([k, v]) => [k, fill(v)] as const) };
      return { ...tree, items: tree.items.map(fill) };
    };
    // The top of a manifest is a non-empty mapping.
    const top = fill(shape);
    const root: Tree = top.kind === 'map' && top.entries.length > 0 ? top : { kind: 'map', entries: [['spec', top]], flow: false };
    return render(root, layout);
  });
  fc.assert(
    fc.property(doc, (text) => {
      const got = readPlainYaml(text, true);
      if (got === NOT_PLAIN) throw new Error(`not read:\n${text}`);
      t.deepEqual(got, reference(text), text);
    }),
    { numRuns: 400 },
  );
});

test('whatever the reader accepts, generated or mutated, js-yaml reads the same; the rest is left to js-yaml', (t) => {
  const tokens = fc.oneof(
    { arbitrary: fc.constantFrom(...SAFE_TOKENS, ...TYPED_TOKENS), weight: 8 },
    { arbitrary: fc.constantFrom(...TRICKY_TOKENS), weight: 1 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789+-._eExXoObBaAfFiInN'), maxLength: 8 }), weight: 2 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...'ab :#,[]{}\'"\\-?&*!|>%@`~.'), maxLength: 6 }), weight: 1 },
  );
  const keys = fc.oneof({ arbitrary: fc.constantFrom(...SAFE_KEYS), weight: 8 }, { arbitrary: fc.constantFrom(...TRICKY_KEYS), weight: 1 });
  const styles = fc.constantFrom('plain' as const, 'single' as const, 'double' as const);
  const edits = fc.array(
    fc.record({ at: fc.nat(), op: fc.constantFrom('insert', 'delete', 'indent', 'dedent'), char: fc.constantFrom(...' \n#:-,[]{}\'"&*!|>?\t\r~.0aé\\') }),
    { minLength: 1, maxLength: 3 },
  );
  const edit = (text: string, e: { at: number; op: string; char: string }) => {
    const at = text.length ? e.at % text.length : 0;
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    if (e.op === 'insert') return text.slice(0, at) + e.char + text.slice(at);
    if (e.op === 'delete') return text.slice(0, at) + text.slice(at + 1);
    if (e.op === 'indent') return `${text.slice(0, lineStart)} ${text.slice(lineStart)}`;
    return text.charCodeAt(lineStart) === 32 ? text.slice(0, lineStart) + text.slice(lineStart + 1) : text;
  };
  let accepted = 0;
  let left = 0;
  fc.assert(
    fc.property(trees(tokens, keys, styles, false), layouts, fc.oneof(fc.constant([]), edits), (tree, layout, es) => {
      const text = es.reduce(edit, render(tree, layout));
      const got = readPlainYaml(text, true);
      if (got === NOT_PLAIN) {
        left++;
        return;
      }
      accepted++;
      t.deepEqual(got, reference(text), text);
    }),
    { numRuns: 4000 },
  );
  // Both ways were taken many times over.
  t.log(`accepted ${accepted}, left to js-yaml ${left}`);
  t.true(accepted > 400, `accepted ${accepted}`);
  t.true(left > 400, `left to js-yaml ${left}`);
});

test('the documents of the examples and fixtures: read as js-yaml reads them, the hand-written manifests among them', (t) => {
  const files = [
    'examples/bgppeer.yaml', 'examples/secret.yaml', 'test/controller/fixtures/good.yaml',
    'test/controller/fixtures/bad-objects.yaml', 'test/controller/fixtures/bad-nodes.yaml',
    'test/controller/fixtures/bad-peer.yaml', 'test/controller/fixtures/bad-syntax.yaml',
    'test/controller/fixtures/kubectl-nodes.yaml',
  ];
  let read = 0;
  for (const file of files) {
    for (const d of splitDocuments(readFileSync(file, 'utf8'))) {
      const got = readPlainYaml(d.text, true);
      if (got === NOT_PLAIN) continue;
      read++;
      t.deepEqual(got, reference(d.text), `${file}:${d.line}`);
    }
  }
  for (const file of ['examples/bgppeer.yaml', 'examples/secret.yaml', 'test/controller/fixtures/good.yaml', 'test/controller/fixtures/kubectl-nodes.yaml']) {
    for (const d of splitDocuments(readFileSync(file, 'utf8'))) {
      if (reference(d.text) != null) t.not(readPlainYaml(d.text), NOT_PLAIN, `${file}:${d.line} is plain YAML`);
    }
  }
  t.true(read >= 8);
});

test('what the reader gives up on', (t) => {
  for (const text of [
    'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: |\n  text\n', 'a: >\n  text\n', 'a: b\n  c\n', 'a: "x\\ty"\n',
    'a: 1\na: 2\n', '? a\n: b\n', 'a:\tb\n', 'a: b\r\n', 'a: 0x1F\n', 'a: 1e3\n', 'a: .inf\n', 'a: 010\n',
    'a: [b,\n  c]\n', 'a: [b, c,]\n', '%YAML 1.2\n---\na: b\n', 'a: b\n...\n', '- - a\n', '--- a: b\n', '# only\n', '',
    'a: b # c: d\n  e\n', '"a": b\n', '__proto__: {x: 1}\n', 'a: -1\n',
    // js-yaml reads the last entry into the inner sequence.
    '-\n labels:\n  - #x\n- x\n',
  ]) {
    t.is(readPlainYaml(text, true), NOT_PLAIN, JSON.stringify(text));
  }
  t.deepEqual(readPlainYaml('a: b # c: d\n', true), { a: 'b' });
  t.deepEqual(readPlainYaml('--- # c\nk:\n- 1\n-\n- {x: y}\n', true), { k: [1, null, { x: 'y' }] });
});

test('a value kept from a document does not keep the text alive', (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const run = () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: unknown[] = [];
    (() => {
      // 40 MB of comment, then values of 13 characters and more (V8 slices those).
      const text = `# ${'y'.repeat(40e6)}\nname: network.openyurt.io/v1alpha1\nlist: ['a quoted value ''here''', a long plain value, 10.244.100.0/24]\n`;
      kept.push(readPlainYaml(text, true));
    })();
    gc();
    return { grew: process.memoryUsage().heapUsed - before, kept };
  };
  const { grew, kept } = run();
  t.deepEqual(kept[0], { name: 'network.openyurt.io/v1alpha1', list: ["a quoted value 'here'", 'a long plain value', '10.244.100.0/24'] });
  t.true(grew < 10e6, `heap grew ${(grew / 1e6).toFixed(1)} MB`);
});
