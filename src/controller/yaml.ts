// Multi-document YAML text -> BGPPeer, Secret and Node objects, for
// `bgp-speaker standalone` and `bgp-speaker validate`. Parses text only (the
// caller reads the file). YAML 1.2 core schema, so `yes` stays a string and
// `65010` is a number. A document with a syntax error is skipped whole and
// reported with file, line and column; so are documents of an unknown kind,
// a wrong apiVersion, or without metadata.name. `kind: List` (what
// `kubectl get -o yaml` prints) is unpacked. Field values are not checked
// here: validate.ts does that.
//
// Speed: a file of 5,000 Nodes is re-read on every change, so the text is
// split at document markers and each document's parse is cached by a digest
// of its text: a reload parses only the documents that changed, and unchanged
// ones keep their object identity (desired-state caches per Node object).
// Documents are parsed with js-yaml's core schema (about 6x faster than the
// `yaml` package); a document that fails, or uses anchors and aliases, is
// parsed with `yaml` instead, for its precise error positions and its bound
// on alias expansion.
//
// Split and parse are separate steps (splitDocuments, parseDocuments) so a
// caller can parse some documents first (standalone's early start parses
// the BGPPeers, Secrets and its own Node before the other Nodes), and
// parseDocumentsSliced parses in slices that yield to the event loop, so
// sessions already started keep exchanging messages during a long parse.

import { hash } from 'node:crypto';
import { CORE_SCHEMA, load } from 'js-yaml';
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

/** One document of a file, not parsed yet. */
export interface YamlDocument {
  /** The document's text; a leading `---` is blanked out so columns stay those of the file. */
  readonly text: string;
  /** The file line (1-based) where the document starts. */
  readonly line: number;
  /** Position in the file (0-based), for "document N" in problems. */
  readonly index: number;
}

export interface ParsedObjects {
  readonly objects: ObjectSet;
  readonly problems: Problem[];
}

/**
 * Parses every document of `text`; `source` names the file in problem lines.
 * When a BGPPeer, Secret (per namespace) or Node appears twice, the last one
 * is kept, as `kubectl apply` of the file would leave it.
 */
export function parseObjects(text: string, source: string): ParsedObjects {
  return parseDocuments(splitDocuments(text), source);
}

/**
 * parseObjects for some documents of a file (in file order): the objects
 * they hold and their problems, with file positions.
 */
export function parseDocuments(docs: readonly YamlDocument[], source: string): ParsedObjects {
  const next = new Map<string, Parsed>();
  const parsed = docs.map((d) => parsedOf(d, next));
  cache = next;
  return assemble(docs, parsed, source);
}

/**
 * parseDocuments in slices of about `sliceMs` of parsing, each followed by a
 * turn of the event loop (setImmediate: sockets and timers run in between).
 */
export async function parseDocumentsSliced(docs: readonly YamlDocument[], source: string, sliceMs = 8): Promise<ParsedObjects> {
  const next = new Map<string, Parsed>();
  const parsed: Parsed[] = [];
  let sliceStart = performance.now();
  for (let i = 0; i < docs.length; i++) {
    parsed.push(parsedOf(docs[i]!, next));
    if ((i & 15) === 15 && performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  cache = next;
  return assemble(docs, parsed, source);
}

/** A document's parse from the cache of the last call, else parsed now; recorded in `next`. */
function parsedOf(d: YamlDocument, next: Map<string, Parsed>): Parsed {
  const key = hash('sha1', d.text, 'base64');
  const p = cache.get(key) ?? next.get(key) ?? parseDocument(d.text);
  next.set(key, p);
  return p;
}

/** Turns parsed documents into objects by the rules above; `parsed[i]` is the parse of `docs[i]`. */
function assemble(docs: readonly YamlDocument[], parsed: readonly Parsed[], source: string): ParsedObjects {
  const problems: Problem[] = [];
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

  docs.forEach((doc, i) => {
    const p = parsed[i]!;
    const where = `document ${doc.index + 1}`;
    const shift = (line: number, col: number) => `${line + doc.line - 1}:${col}`;
    if (p.errors.length > 0) {
      for (const e of p.errors) report(shift(e.line, e.col), `${e.message}; ${where} skipped`);
      return;
    }
    if (p.value === null || p.value === undefined) return; // empty document, e.g. a trailing ---
    add(p.value, shift(p.line, p.col), where);
  });

  const objects: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
  for (const { kind, obj } of kept.values()) {
    if (kind === 'BGPPeer') objects.bgpPeers.push(obj as unknown as ObjectSet['bgpPeers'][number]);
    else if (kind === 'Secret') objects.secrets.push(obj as unknown as ObjectSet['secrets'][number]);
    else objects.nodes.push(obj as unknown as ObjectSet['nodes'][number]);
  }
  return { objects, problems };
}

/** One document's parse: its value, or why it has none; positions relative to the document. */
interface Parsed {
  readonly value?: unknown;
  /** Where the content starts (1-based). */
  readonly line: number;
  readonly col: number;
  readonly errors: readonly { line: number; col: number; message: string }[];
}

/**
 * The parses of the last call, by the SHA-1 of the document's text: the
 * texts themselves (together the size of the file) are not kept. Replaced on
 * every call, so it never outgrows one file.
 */
let cache = new Map<string, Parsed>();

/**
 * Splits at `---` lines (a document marker at column 0 cannot occur inside a
 * document, YAML 1.2 §9.1). A file with directives (`%YAML`) is kept whole.
 * Content after a marker on the same line belongs to the document it opens.
 * Scans for markers rather than splitting into lines: a file of 20,000 Nodes
 * has some 200,000 lines.
 */
export function splitDocuments(text: string): YamlDocument[] {
  if (/^%/m.test(text)) return [{ text, line: 1, index: 0 }];
  const marks: number[] = [];
  const marker = /^---(?=\s|$)/gm;
  for (let m = marker.exec(text); m !== null; m = marker.exec(text)) {
    // Lines end at \n only (a lone \r does not start a line here).
    if (m.index === 0 || text.charCodeAt(m.index - 1) === 10) marks.push(m.index);
  }
  const out: YamlDocument[] = [];
  let line = 1;
  let counted = 0;
  const lineAt = (offset: number): number => {
    for (let nl = text.indexOf('\n', counted); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) line++;
    counted = offset;
    return line;
  };
  if (marks.length === 0 || marks[0]! > 0) out.push({ text: text.slice(0, marks.length ? marks[0]! - 1 : text.length), line: 1, index: 0 });
  marks.forEach((at, i) => {
    const end = i + 1 < marks.length ? marks[i + 1]! - 1 : text.length;
    out.push({ text: `   ${text.slice(at + 3, end)}`, line: lineAt(at), index: out.length });
  });
  return out;
}

function contentStart(text: string): { line: number; col: number } {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)[^\s#]/.exec(lines[i]!);
    if (m) return { line: i + 1, col: m[1]!.length + 1 };
  }
  return { line: 1, col: 1 };
}

function parseDocument(text: string): Parsed {
  const { line, col } = contentStart(text);
  // Anchors and aliases go to the parser that bounds their expansion.
  if (!/(^|[\s[{,:-])&[^\s]/.test(text)) {
    try {
      return { value: load(text, { schema: CORE_SCHEMA }), line, col, errors: [] };
    } catch {
      // fall through: `yaml` says precisely what is wrong
    }
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  const errors: { line: number; col: number; message: string }[] = [];
  const values: unknown[] = [];
  for (const doc of list) {
    for (const e of doc.errors) {
      const lp = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      errors.push({ line: lp.line, col: lp.col, message: `YAML syntax error: ${firstLine(e.message)}` });
    }
    if (doc.errors.length > 0) continue;
    try {
      // Alias expansion is bounded so a hostile file cannot blow up memory.
      values.push(doc.toJS({ maxAliasCount: 100 }));
    } catch (e) {
      errors.push({ line, col, message: (e as Error).message });
    }
  }
  return { value: values.find((v) => v !== null && v !== undefined), line, col, errors };
}
