// Multi-document YAML text -> BGPPeer, Secret and Node objects, for
// `bgp-speaker standalone` and `bgp-speaker validate`. Parses text only (the
// caller reads the file). YAML 1.2 core schema, so `yes` stays a string and
// `65010` is a number. A document with a syntax error is skipped whole and
// reported with file, line and column; so are documents of an unknown kind,
// a wrong apiVersion, or without metadata.name. `kind: List` (what
// `kubectl get -o yaml` prints) is unpacked. Field values are not checked
// here: validate.ts does that.

import { LineCounter, parseAllDocuments } from 'yaml';
import { API_VERSION, problem, type ObjectSet, type Problem } from './resources.js';

const API_VERSIONS: Record<string, string> = { BGPPeer: API_VERSION, Secret: 'v1', Node: 'v1' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The first line of a yaml error message, without its " at line L, column C" tail. */
function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Parses every document of `text`; `source` names the file in problem lines.
 * When a BGPPeer, Secret (per namespace) or Node appears twice, the last one
 * is kept, as `kubectl apply` of the file would leave it.
 */
export function parseObjects(text: string, source: string): { objects: ObjectSet; problems: Problem[] } {
  const problems: Problem[] = [];
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return `${p.line}:${p.col}`;
  };
  const report = (pos: string, message: string, severity: 'error' | 'warning' = 'error') =>
    problems.push(problem('File', source, pos, message, 'InvalidSpec', severity));

  const kept = new Map<string, { kind: string; obj: Record<string, unknown>; pos: string }>();
  const add = (obj: unknown, pos: string, where: string) => {
    if (!isObject(obj)) {
      report(pos, `${where} is not an object; skipped`);
      return;
    }
    const kind = obj.kind;
    if (typeof kind !== 'string' || kind === '') {
      report(pos, `${where} has no kind; skipped`);
      return;
    }
    if (kind === 'List' && obj.apiVersion === 'v1') {
      const items = Array.isArray(obj.items) ? obj.items : [];
      items.forEach((item: unknown, i: number) => add(item, pos, `${where} item ${i + 1}`));
      return;
    }
    const want = API_VERSIONS[kind];
    if (want === undefined) {
      report(pos, `${where}: kind ${kind} is not BGPPeer, Secret or Node; skipped`, 'warning');
      return;
    }
    const meta = obj.metadata;
    const name = isObject(meta) ? meta.name : undefined;
    if (typeof name !== 'string' || name === '') {
      report(pos, `${where}: ${kind} without metadata.name; skipped`);
      return;
    }
    if (obj.apiVersion !== want) {
      report(pos, `${kind} ${name}: apiVersion ${JSON.stringify(obj.apiVersion ?? null)} is not ${want}; skipped`);
      return;
    }
    const ns = isObject(meta) && typeof meta.namespace === 'string' ? meta.namespace : '';
    const key = kind === 'Secret' ? `${kind}/${ns}/${name}` : `${kind}/${name}`;
    const before = kept.get(key);
    const label = kind === 'Secret' && ns ? `${ns}/${name}` : name;
    if (before) {
      report(pos, `${kind} ${label} is defined again (first at ${before.pos}); the last definition is used`, 'warning');
      kept.delete(key);
    }
    kept.set(key, { kind, obj, pos });
  };

  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, i) => {
    const where = `document ${i + 1}`;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const lp = e.linePos?.[0];
        const pos = lp ? `${lp.line}:${lp.col}` : at(e.pos[0]);
        report(pos, `YAML syntax error: ${firstLine(e.message)}; ${where} skipped`);
      }
      return;
    }
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    let value: unknown;
    try {
      // Alias expansion is bounded so a hostile file cannot blow up memory.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      report(at(start), `${(e as Error).message}; ${where} skipped`);
      return;
    }
    if (value === null || value === undefined) return; // empty document, e.g. a trailing ---
    add(value, at(start), where);
  });

  const objects: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
  for (const { kind, obj } of kept.values()) {
    if (kind === 'BGPPeer') objects.bgpPeers.push(obj as unknown as ObjectSet['bgpPeers'][number]);
    else if (kind === 'Secret') objects.secrets.push(obj as unknown as ObjectSet['secrets'][number]);
    else objects.nodes.push(obj as unknown as ObjectSet['nodes'][number]);
  }
  return { objects, problems };
}
