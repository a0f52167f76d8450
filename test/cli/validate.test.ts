// `bgp-speaker validate FILE` run as a subprocess on good and bad files: the
// exact problem lines on stdout and the exit code (0 without errors, 1 with).

import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers.js';

const F = 'test/cli/fixtures';

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l !== '');
}

test('a good file prints no problem and exits 0', async (t) => {
  const r = await runCli(['validate', `${F}/good.yaml`]);
  t.is(r.code, 0);
  t.deepEqual(lines(r.stdout), []);
  t.regex(r.stderr, /1 BGPPeer, 1 Secret, 2 Nodes; 0 errors, 0 warnings/);
});

test('warnings are printed with a warning prefix and do not fail', async (t) => {
  const r = await runCli(['validate', `${F}/warnings.yaml`]);
  t.is(r.code, 0);
  t.deepEqual(lines(r.stdout), [
    'warning: BGPPeer peer: spec.peerAddress: unknown field, ignored',
    'warning: Node node-1: spec.podCIDR: "10.244.1.7/24" has host bits set; advertised as 10.244.1.0/24',
  ]);
});

test('an AS number beyond 32 bits and a missing peerIP are named with object and field and exit 1', async (t) => {
  const r = await runCli(['validate', `${F}/bad-asn.yaml`]);
  t.is(r.code, 1);
  t.deepEqual(lines(r.stdout), [
    'BGPPeer peer: spec.peerAsNumber: 70000000000 is not an AS number (1..4294967295)',
    'BGPPeer peer: spec.peerIP: is missing (required)',
  ]);
});

test('a Secret in the wrong namespace is reported on the BGPPeer that refers to it', async (t) => {
  const r = await runCli(['validate', `${F}/missing-secret.yaml`]);
  t.is(r.code, 1);
  t.deepEqual(lines(r.stdout), [
    'BGPPeer peer: spec.authPassword.secretKeyRef: Secret kube-system/bgp-secret not found (there is one in namespace default; it must be in kube-system)',
  ]);
  t.notRegex(r.stdout + r.stderr, /s3cret/);
});

test('bad Node labels and pod CIDRs are reported per field', async (t) => {
  const r = await runCli(['validate', `${F}/bad-node.yaml`]);
  t.is(r.code, 1);
  t.deepEqual(lines(r.stdout), [
    'Node node-1: metadata.labels.lan: 7 is not a string (quote it)',
    'Node node-1: spec.podCIDRs[0]: "10.244.1.0/33" is not a CIDR',
  ]);
});

test('a YAML syntax error names the file, line and column and exits 1', async (t) => {
  const r = await runCli(['validate', `${F}/syntax.yaml`]);
  t.is(r.code, 1);
  const out = lines(r.stdout);
  t.is(out.length, 1);
  t.regex(out[0]!, /^test\/cli\/fixtures\/syntax\.yaml:\d+:\d+: YAML syntax error: .+; document 1 skipped$/);
});

test('a file that does not exist is one line on stderr and exit 1', async (t) => {
  const r = await runCli(['validate', `${F}/no-such-file.yaml`]);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(r.stderr, `${F}/no-such-file.yaml: cannot read: no such file\n`);
});

test('an empty file gets a warning but does not fail', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'validate-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'empty.yaml');
  await writeFile(file, '# nothing yet\n');
  const r = await runCli(['validate', file]);
  t.is(r.code, 0);
  t.deepEqual(lines(r.stdout), [`warning: ${file}: no BGPPeer, Secret or Node objects`]);
});

test('the repository examples validate without errors', async (t) => {
  for (const f of ['examples/lab.yaml', 'examples/nodes.yaml']) {
    const r = await runCli(['validate', f]);
    t.is(r.code, 0, `${f}: ${r.stdout}`);
  }
});
