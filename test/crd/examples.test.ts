// The CRD accepts every BGPPeer a user copies from this repository: the
// files in examples/ and the YAML blocks of README.md, checked against the
// CRD's openAPIV3Schema and CEL rules (test/kube/crd.ts).

import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateBGPPeer } from '../kube/crd.js';
import { ROOT } from '../entry.js';

function bgpPeersIn(text: string): unknown[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as { kind?: string } | null)
    .filter((o): o is { kind: string } => o?.kind === 'BGPPeer');
}

test('every BGPPeer in examples/ passes the CRD schema', (t) => {
  let seen = 0;
  for (const f of readdirSync(join(ROOT, 'examples')).filter((n) => n.endsWith('.yaml'))) {
    for (const peer of bgpPeersIn(readFileSync(join(ROOT, 'examples', f), 'utf8'))) {
      seen++;
      t.deepEqual(validateBGPPeer(peer), [], `examples/${f}`);
    }
  }
  t.true(seen >= 2, `found ${seen} BGPPeers in examples/`);
});

test('every BGPPeer in the README passes the CRD schema', (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/^ {3}/gm, ''));
  const peers = blocks.flatMap(bgpPeersIn);
  t.true(peers.length >= 1, 'the README shows a BGPPeer');
  for (const peer of peers) t.deepEqual(validateBGPPeer(peer), []);
});

test('the schema check is not vacuous: a broken copy of the example is rejected', (t) => {
  const [peer] = bgpPeersIn(readFileSync(join(ROOT, 'examples/bgppeer.yaml'), 'utf8')) as { spec: Record<string, unknown> }[];
  const broken = { ...peer!, spec: { ...peer!.spec, peerAsNumber: 0, peerIP: '172.16.0.300' } };
  const errors = validateBGPPeer(broken).map((e) => JSON.stringify(e));
  t.true(errors.some((e) => e.includes('peerAsNumber')), errors.join('\n'));
  t.true(errors.some((e) => e.includes('peerIP')), errors.join('\n'));
});
