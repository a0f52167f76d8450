// The YAML file source of `standalone` (src/controller/file-source.ts):
// loads, reloads on file change through a directory watch, keeps the
// previous version of an object whose new version is invalid, and keeps
// everything when the YAML does not parse.

import test from 'ava';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource, type LoadResult } from '../../src/controller/file-source.js';
import { silentLogger } from '../../src/log.js';

const node = (name: string, cidr: string) =>
  `apiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\nspec: {podCIDRs: ["${cidr}"]}\nstatus: {addresses: [{type: InternalIP, address: 10.0.0.1}]}\n`;

async function setup(t: import('ava').ExecutionContext, text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'file-source-'));
  const path = join(dir, 'objects.yaml');
  await writeFile(path, text);
  const source = new FileSource({ path, log: silentLogger(), debounceMs: 20 });
  t.teardown(async () => {
    source.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { path, source };
}

const cidrs = (r: LoadResult) => r.objects.nodes.map((n) => `${n.metadata.name}=${n.spec?.podCIDRs?.[0]}`);

test('a first load returns every object and no problem for a good file', async (t) => {
  const { source } = await setup(t, node('a', '10.244.1.0/24') + '---\n' + node('b', '10.244.2.0/24'));
  const r = (await source.load())!;
  t.true(r.applied);
  t.deepEqual(cidrs(r), ['a=10.244.1.0/24', 'b=10.244.2.0/24']);
  t.deepEqual(r.problems, []);
});

test('an invalid new version of an object keeps the previous one; an invalid new object is skipped', async (t) => {
  const { path, source } = await setup(t, node('a', '10.244.1.0/24'));
  await source.load();
  await writeFile(path, node('a', '10.244.1.0/33') + '---\n' + node('b', 'nope') + '---\n' + node('c', '10.244.3.0/24'));
  const r = (await source.load())!;
  t.true(r.applied);
  t.deepEqual(cidrs(r), ['a=10.244.1.0/24', 'c=10.244.3.0/24']);
  t.deepEqual(r.keptPrevious, ['Node a']);
  t.deepEqual(r.skipped, ['Node b']);
  t.true(r.problems.some((p) => p.line === 'Node a: spec.podCIDRs[0]: "10.244.1.0/33" is not a CIDR'));
});

test('YAML that does not parse keeps the previous objects whole', async (t) => {
  const { path, source } = await setup(t, node('a', '10.244.1.0/24'));
  await source.load();
  await writeFile(path, node('b', '10.244.2.0/24') + '---\nkind: [Node\n');
  const r = (await source.load())!;
  t.false(r.applied);
  t.deepEqual(cidrs(r), ['a=10.244.1.0/24']);
  t.regex(r.problems[0]!.line, /YAML syntax error/);
  t.deepEqual(cidrs({ objects: source.objects } as LoadResult), ['a=10.244.1.0/24']);
});

test('a file replaced by rename is picked up by the watch, and an unchanged text is not reloaded', async (t) => {
  const { path, source } = await setup(t, node('a', '10.244.1.0/24'));
  await source.load();
  const loads: LoadResult[] = [];
  source.on('load', (r) => loads.push(r));
  source.watch();
  await writeFile(`${path}.new`, node('a', '10.244.9.0/24'));
  await rename(`${path}.new`, path);
  for (let i = 0; i < 100 && loads.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.is(loads.length, 1);
  t.deepEqual(cidrs(loads[0]!), ['a=10.244.9.0/24']);
  t.is(await source.load(false), null);
});

test('a missing file is reported and the objects stay', async (t) => {
  const { path, source } = await setup(t, node('a', '10.244.1.0/24'));
  await source.load();
  await rm(path);
  const r = (await source.load())!;
  t.false(r.applied);
  t.regex(r.problems[0]!.line, /cannot read: no such file/);
  t.deepEqual(cidrs(r), ['a=10.244.1.0/24']);
});

test('an early step gets the selected documents, with their problems, before the load of the whole file ends', async (t) => {
  const text = [node('a', '10.244.1.0/24'), node('b', '10.244.2.0/33'), node('c', '10.244.3.0/24')].join('---\n');
  const { source } = await setup(t, text);
  const seen: string[] = [];
  let loads = 0;
  source.on('load', () => loads++);
  const r = (await source.load(true, {
    select: (doc) => !doc.includes('name: c'),
    run: async (early) => {
      seen.push(...early.objects.nodes.map((n) => String(n.metadata.name)));
      seen.push(...early.problems.map((p) => p.line));
      t.is(loads, 0, 'the early step runs before the load is emitted');
      await new Promise((resolve) => setTimeout(resolve, 10));
    },
  }))!;
  t.deepEqual(seen, ['a', 'b', 'Node b: spec.podCIDRs[0]: "10.244.2.0/33" is not a CIDR']);
  t.is(loads, 1);
  t.deepEqual(cidrs(r), ['a=10.244.1.0/24', 'c=10.244.3.0/24']);
  t.deepEqual(r.skipped, ['Node b']);
});

test('a forced load of an unchanged text applies it again; an unforced one does nothing', async (t) => {
  const { source } = await setup(t, node('a', '10.244.1.0/24'));
  t.truthy(await source.load(true));
  t.is(await source.load(false), null);
  const again = (await source.load(true))!;
  t.deepEqual(cidrs(again), ['a=10.244.1.0/24']);
});

test('reloads of a file that grows, shrinks and turns non-ASCII read every byte of it', async (t) => {
  const nodes = (n: number, label = 'plain') =>
    Array.from({ length: n }, (_, i) => node(`n${i}`, `10.${(i >> 8) & 255}.${i & 255}.0/24`).replace('metadata: {', `metadata: {annotations: {note: ${label}}, `)).join('---\n');
  const { path, source } = await setup(t, nodes(3));
  t.is((await source.load())!.objects.nodes.length, 3);
  // 1.3 MB: a larger read buffer, and a text of the size Node makes external.
  await writeFile(path, nodes(9000));
  let r = (await source.load())!;
  t.is(r.objects.nodes.length, 9000);
  t.deepEqual(cidrs(r).at(-1), 'n8999=10.35.39.0/24');
  await writeFile(path, nodes(2, 'café'));
  r = (await source.load())!;
  t.deepEqual(cidrs(r), ['n0=10.0.0.0/24', 'n1=10.0.1.0/24']);
  t.deepEqual(r.objects.nodes.map((n) => n.metadata.annotations?.note), ['café', 'café']);
  await writeFile(path, nodes(9000, 'é'));
  r = (await source.load())!;
  t.is(r.objects.nodes.length, 9000);
  t.is(r.objects.nodes[8999]!.metadata.annotations?.note, 'é');
  t.deepEqual(r.problems, []);
});
