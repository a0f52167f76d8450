// Multi-document YAML text -> BGPPeer, Secret and Node objects, for
// `bgp-speaker standalone` and `bgp-speaker validate`. Parses text only (the
// caller reads the file). YAML 1.2 core schema, so `yes` stays a string and
// `65010` is a number. A document with a syntax error is skipped whole and
// reported with file, line and column; so are documents of an unknown kind,
// a wrong apiVersion, or without metadata.name. `kind: List` (what
// `kubectl get -o yaml` prints) is unpacked. Field values are not checked
// here: validate.ts does that. A document in plain block and flow YAML (what
// manifests are) is read by yaml-plain.ts, three times faster; the others
// by js-yaml, and those js-yaml rejects or that have anchors by `yaml`.
//
// Split and parse are separate steps (DocumentStore.split and .parse) so a
// caller can parse some documents first (standalone's early start parses
// the BGPPeers, Secrets and its own Node before the other Nodes). A file
// that is read again and again (the file source) goes through a
// DocumentStore (at the end of this file): a reload splits and parses only
// the stretch of text that changed, and unchanged documents keep their
// objects (object identity: the checks and the desired state cache per
// Node object). parseObjects parses everything, for one-off reads.

import { CORE_SCHEMA, load } from 'js-yaml';
import type * as Yaml from 'yaml';
import { onFirstUse } from '../bgp/lazy.js';
import { API_VERSION, problem, type Node, type ObjectSet, type Problem } from './resources.js';
import { NOT_PLAIN, readPlainYaml } from './yaml-plain.js';

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
  /**
   * The document's text, from its `---` marker on (columns stay those of
   * the file): a slice of the file's text, not a copy of it.
   */
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
function parseDocuments(docs: readonly YamlDocument[], source: string): ParsedObjects {
  return assemble(docs, docs.map((d) => parseDocument(d.text)), source);
}

type Kind = 'BGPPeer' | 'Secret' | 'Node';

/** An object of a document, with the key that tells repeats apart. */
interface Found {
  readonly kind: Kind;
  /** Kind and name (and namespace, for Secrets). */
  readonly key: string;
  readonly obj: Record<string, unknown>;
}

/**
 * The objects of one parsed document, at file line `line` and position
 * `index`, by the rules at the top of the file: each usable object goes to
 * `found` with its position; problems are added to `problems`.
 */
function collect(
  p: Parsed,
  line: number,
  index: number,
  source: string,
  problems: Problem[],
  found: (f: Found, label: string, pos: string) => void,
): void {
  const report = (pos: string, message: string, severity: 'error' | 'warning' = 'error') =>
    problems.push(problem('File', source, pos, message, 'InvalidSpec', severity));
  const shift = (l: number, col: number) => `${l + line - 1}:${col}`;
  const where = `document ${index + 1}`;
  if (p.errors.length > 0) {
    for (const e of p.errors) report(shift(e.line, e.col), `${e.message}; ${where} skipped`);
    return;
  }
  if (p.value === null || p.value === undefined) return; // empty document, e.g. a trailing ---
  const pos = shift(p.line, p.col);
  const add = (obj: unknown, where: string) => {
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
      items.forEach((item: unknown, i: number) => add(item, `${where} item ${i + 1}`));
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
    found({ kind: kind as Kind, key, obj }, kind === 'Secret' && ns ? `${ns}/${name}` : name, pos);
  };
  add(p.value, where);
}

function push(objects: ObjectSet, f: Found): void {
  if (f.kind === 'BGPPeer') objects.bgpPeers.push(f.obj as unknown as ObjectSet['bgpPeers'][number]);
  else if (f.kind === 'Secret') objects.secrets.push(f.obj as unknown as ObjectSet['secrets'][number]);
  else objects.nodes.push(f.obj as unknown as ObjectSet['nodes'][number]);
}

/**
 * Turns parsed documents into objects by the rules above; `parsed[i]` is the
 * parse of the document at `docs[i]` (its first line and position in the file).
 */
function assemble(
  docs: readonly { readonly line: number; readonly index: number }[],
  parsed: readonly Parsed[],
  source: string,
): ParsedObjects {
  const problems: Problem[] = [];
  const kept = new Map<string, { f: Found; pos: string }>();
  docs.forEach((doc, i) =>
    collect(parsed[i]!, doc.line, doc.index, source, problems, (f, label, pos) => {
      const before = kept.get(f.key);
      if (before) {
        problems.push(problem('File', source, pos,
          `${f.kind} ${label} is defined again (first at ${before.pos}); the last definition is used`, 'InvalidSpec', 'warning'));
        kept.delete(f.key);
      }
      kept.set(f.key, { f, pos });
    }),
  );
  const objects: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
  for (const { f } of kept.values()) push(objects, f);
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
 * Splits at `---` lines (a document marker at column 0 cannot occur inside a
 * document, YAML 1.2 §9.1). A file with directives (`%YAML`) is kept whole.
 * Content after a marker on the same line belongs to the document it opens.
 */
export function splitDocuments(text: string): YamlDocument[] {
  if (/^%/m.test(text)) return [{ text, line: 1, index: 0 }];
  return splitRange(text, 0, text.length, false, 1, 0).docs;
}

/**
 * The documents of text[from, to): `from` is 0 or the offset of a marker,
 * `to` the end of the text or (toIsMarker) the offset of the marker of the
 * next document. `line` and `index` are those of the first document. Scans
 * for markers rather than splitting into lines: a file of 20,000 Nodes has
 * some 200,000 lines. Also returns each document's offset (its marker, or 0)
 * and the line at `to`.
 */
function splitRange(text: string, from: number, to: number, toIsMarker: boolean, line: number, index: number) {
  const marks: number[] = [];
  const marker = /^---(?=\s|$)/gm;
  marker.lastIndex = from;
  for (let m = marker.exec(text); m !== null && m.index < to; m = marker.exec(text)) {
    // Lines end at \n only (a lone \r does not start a line here).
    if (m.index === 0 || text.charCodeAt(m.index - 1) === 10) marks.push(m.index);
  }
  const end = toIsMarker ? to - 1 : to;
  let counted = from;
  const lineAt = (offset: number): number => {
    for (let nl = text.indexOf('\n', counted); nl !== -1 && nl < offset; nl = text.indexOf('\n', nl + 1)) line++;
    counted = offset;
    return line;
  };
  const docs: YamlDocument[] = [];
  const starts: number[] = [];
  // Text before the first marker (only at the start of the file) is a document too.
  if (marks.length === 0 || marks[0]! > from) {
    docs.push({ text: text.slice(from, marks.length ? marks[0]! - 1 : end), line, index });
    starts.push(from);
  }
  marks.forEach((at, i) => {
    const stop = i + 1 < marks.length ? marks[i + 1]! - 1 : end;
    docs.push({ text: text.slice(at, stop), line: lineAt(at), index: index + docs.length });
    starts.push(at);
  });
  return { docs, starts, endLine: lineAt(to) };
}

const NON_SPACE = /\S/g;

/**
 * Where a document's content starts: the first character that is not
 * space, outside comment lines and the document's own `---` marker.
 */
function contentStart(text: string): { line: number; col: number } {
  let from = /^---(?=\s|$)/.test(text) ? 3 : 0;
  let line = 1;
  let lineStart = 0;
  for (;;) {
    NON_SPACE.lastIndex = from;
    const m = NON_SPACE.exec(text);
    if (m === null) return { line: 1, col: 1 };
    for (let nl = text.indexOf('\n', lineStart); nl !== -1 && nl < m.index; nl = text.indexOf('\n', nl + 1)) {
      line++;
      lineStart = nl + 1;
    }
    if (text.charCodeAt(m.index) !== 35 /* # */) return { line, col: m.index - lineStart + 1 };
    // A comment line: on from the next one.
    const nl = text.indexOf('\n', m.index);
    if (nl < 0) return { line: 1, col: 1 };
    from = nl + 1;
  }
}

/** YAML 1.2 core-schema floats that JSON has no form for. */
const NOT_JSON = /\.(nan|inf)\b/i;

/**
 * A parsed document copied through JSON, which the store then keeps for as
 * long as the document is in the file. js-yaml's strings of 13 characters
 * or more are slices of its own copy of the document text, so one pod CIDR
 * kept from a Node holds that Node's whole text (20,000 Nodes: 5 MB), and
 * the arrays it builds have room for 17 elements. JSON.parse makes flat
 * strings (short ones shared), exact arrays and the same values, except
 * the floats NaN and Infinity, which JSON cannot carry: documents that
 * spell them (.nan, .inf) are kept as js-yaml made them. (-0 becomes 0,
 * which no field tells apart.)
 */
function detached(value: unknown, text: string): unknown {
  if (value === null || typeof value !== 'object' || NOT_JSON.test(text)) return value;
  return JSON.parse(JSON.stringify(value));
}

/** Only a document that js-yaml rejects, or one with anchors, needs it (260 kB of code, ~1 MB of RSS). */
const yamlLib = onFirstUse<typeof Yaml>('yaml');

function parseDocument(text: string): Parsed {
  const { line, col } = contentStart(text);
  // Most manifests are plain block and flow YAML: read those without js-yaml.
  const plain = readPlainYaml(text);
  if (plain !== NOT_PLAIN) return { value: plain, line, col, errors: [] };
  // Anchors and aliases go to the parser that bounds their expansion.
  if (!/(^|[\s[{,:-])&[^\s]/.test(text)) {
    try {
      return { value: detached(load(text, { schema: CORE_SCHEMA }), text), line, col, errors: [] };
    } catch {
      // fall through: `yaml` says precisely what is wrong
    }
  }
  const { LineCounter, parseAllDocuments } = yamlLib();
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

/** One document as a DocumentStore holds it. */
interface Held {
  readonly parsed: Parsed;
  /** The usable objects it defines. */
  readonly found: readonly Found[];
  /** Whether it has problems; they name file lines, so they are made again on every read. */
  readonly troubled: boolean;
}

function hold(parsed: Parsed, line: number, index: number, source: string): Held {
  const problems: Problem[] = [];
  const found: Found[] = [];
  collect(parsed, line, index, source, problems, (f) => found.push(f));
  return { parsed, found, troubled: problems.length > 0 };
}

/** Where the texts `a` and `b` first differ (their common head's length). */
function commonHead(a: string, b: string): number {
  // Binary search on the length, comparing only the part not yet known
  // equal: the string comparisons are native and add up to about one pass.
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The length of the common tail of `a` and `b`, at most `max`. */
function commonTail(a: string, b: string, max: number): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.slice(a.length - mid, a.length - lo) === b.slice(b.length - mid, b.length - lo)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A read of a DocumentStore between split and commit. */
export interface PendingRead {
  readonly text: string;
  /** The documents split anew (the changed stretch, or the whole file), in file order. */
  readonly docs: readonly YamlDocument[];
  readonly starts: readonly number[];
  /** The held documents before `head` and from `tail` on stay; those between are replaced by `docs`. */
  readonly head: number;
  readonly tail: number;
  /** Where the stretch starts, and how far the documents after it moved (characters, lines). */
  readonly from: number;
  readonly shift: number;
  readonly lineShift: number;
  /** The text has directives: one document. */
  readonly whole: boolean;
  readonly parsed: Map<YamlDocument, Parsed>;
}

/** What a commit yields. */
export interface StoreRead extends ParsedObjects {
  /**
   * The Node objects that left and joined the object set since the previous
   * read; null when this read was not a patch of the previous one (the first
   * read, a file with directives, an object defined twice).
   */
  readonly nodeChange: { readonly removed: readonly Node[]; readonly added: readonly Node[] } | null;
}

/**
 * The documents of a file read again and again. A read compares the new text
 * with the previous one (common head and tail, native comparisons); the
 * documents that lie wholly, markers included, in the common head or tail
 * are kept as they were, with their objects. Only the stretch between is
 * split again, and of its documents only those whose text is new are parsed.
 * The object set is then assembled from the kept documents without looking
 * into them again: a pass that copies references. Documents with problems
 * are assembled anew (their problems name file lines), and so is the whole
 * set when an object is defined twice (which definition wins depends on
 * every document). The previous text is kept for the comparison (the size
 * of the file).
 */
export class DocumentStore {
  private text: string | null = null;
  private whole = false;
  /** Per document: offset of its marker (or 0), first line, what it holds. */
  private starts: number[] = [];
  private lines: number[] = [];
  private held: Held[] = [];
  /** How many documents define each object key, and how many keys more than one. */
  private readonly keys = new Map<string, number>();
  private repeats = 0;
  private exact = false;

  constructor(private readonly source: string) {}

  /** The text of the last commit. */
  get lastText(): string | null {
    return this.text;
  }

  /** Splits `text` into the documents that may have changed; `full` splits it all (a read with an early step). */
  split(text: string, full = false): PendingRead {
    const old = this.text;
    const n = this.starts.length;
    if (!full && old !== null && !this.whole && n > 0) {
      const p = commonHead(old, text);
      const q = commonTail(old, text, Math.min(old.length, text.length) - p);
      // head: documents 0..head-1 end (at the next marker, whose test reads 3
      // characters on) before p; tail: documents whose marker and the newline
      // before it lie in the common tail.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (this.starts[mid]! + 3 < p) lo = mid;
        else hi = mid - 1;
      }
      const head = lo;
      lo = head + 1;
      hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.starts[mid]! - 1 >= old.length - q) hi = mid;
        else lo = mid + 1;
      }
      const tail = lo;
      const from = head > 0 ? this.starts[head]! : 0;
      const shift = text.length - old.length;
      const to = tail < n ? this.starts[tail]! + shift : text.length;
      // A directive can only have appeared in the stretch (or just before it).
      if (!/^%/m.test(text.slice(Math.max(0, from - 1), to))) {
        const s = splitRange(text, from, to, tail < n, this.lines[head]!, head);
        const lineShift = tail < n ? s.endLine - this.lines[tail]! : 0;
        return { text, docs: s.docs, starts: s.starts, head, tail, from, shift, lineShift, whole: false, parsed: new Map() };
      }
    }
    const whole = /^%/m.test(text);
    const s = whole ? { docs: [{ text, line: 1, index: 0 }], starts: [0] } : splitRange(text, 0, text.length, false, 1, 0);
    return { text, docs: s.docs, starts: s.starts, head: 0, tail: n, from: 0, shift: 0, lineShift: 0, whole, parsed: new Map() };
  }

  /** Parses some documents of a pending read now (an early step): their objects and problems. */
  parse(read: PendingRead, docs: readonly YamlDocument[]): ParsedObjects {
    return assemble(docs, docs.map((d) => this.parsedOf(read, d)), this.source);
  }

  /**
   * Parses what the read still needs, in slices of about `sliceMs` of
   * parsing, each followed by a turn of the event loop (setImmediate:
   * sockets and timers run in between), and makes it the store's state.
   */
  async commit(read: PendingRead, sliceMs = 8): Promise<StoreRead> {
    const old = this.text;
    const n = this.held.length;
    // The documents of the old stretch, by text: one that only moved is not parsed again.
    const before = new Map<string, Held>();
    if (old !== null && !this.whole && !read.whole) {
      const to = read.tail < n ? this.starts[read.tail]! : old.length;
      const { docs } = splitRange(old, read.from, to, read.tail < n, 1, 0);
      docs.forEach((d, i) => before.set(d.text, this.held[read.head + i]!));
    }
    const fresh: Held[] = [];
    let sliceStart = performance.now();
    for (let i = 0; i < read.docs.length; i++) {
      const d = read.docs[i]!;
      fresh.push(before.get(d.text) ?? hold(this.parsedOf(read, d), d.line, d.index, this.source));
      if ((i & 15) === 15 && performance.now() - sliceStart >= sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }

    const gone = this.held.slice(read.head, read.tail);
    const moved = (xs: number[], d: number) => (d === 0 ? xs : xs.map((x) => x + d));
    this.held = this.held.slice(0, read.head).concat(fresh, this.held.slice(read.tail));
    this.starts = this.starts.slice(0, read.head).concat(read.starts, moved(this.starts.slice(read.tail), read.shift));
    this.lines = this.lines.slice(0, read.head).concat(read.docs.map((d) => d.line), moved(this.lines.slice(read.tail), read.lineShift));
    this.text = read.text;
    this.whole = read.whole;

    const count = (h: Held, d: 1 | -1) => {
      for (const f of h.found) {
        const c = (this.keys.get(f.key) ?? 0) + d;
        if (c === 2 && d === 1) this.repeats++;
        if (c === 1 && d === -1) this.repeats--;
        if (c === 0) this.keys.delete(f.key);
        else this.keys.set(f.key, c);
      }
    };
    for (const h of gone) count(h, -1);
    for (const h of fresh) count(h, 1);

    // Whether the previous object set was the documents' objects in order (no repeats).
    const wasExact = this.exact;
    this.exact = this.repeats === 0;
    if (!this.exact) {
      const docs = this.lines.map((line, index) => ({ line, index }));
      return { ...assemble(docs, this.held.map((h) => h.parsed), this.source), nodeChange: null };
    }
    const objects: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
    const problems: Problem[] = [];
    const quiet = () => undefined;
    for (let i = 0; i < this.held.length; i++) {
      const h = this.held[i]!;
      if (h.troubled) collect(h.parsed, this.lines[i]!, i, this.source, problems, quiet);
      for (const f of h.found) push(objects, f);
    }
    if (!wasExact) return { objects, problems, nodeChange: null };
    const kept = new Set(fresh);
    const came = new Set(gone);
    const nodes = (hs: Iterable<Held>, skip: Set<Held>) => {
      const out: Node[] = [];
      for (const h of hs) if (!skip.has(h)) for (const f of h.found) if (f.kind === 'Node') out.push(f.obj as unknown as Node);
      return out;
    };
    return { objects, problems, nodeChange: { removed: nodes(gone, kept), added: nodes(fresh, came) } };
  }

  private parsedOf(read: PendingRead, d: YamlDocument): Parsed {
    let p = read.parsed.get(d);
    if (!p) {
      p = parseDocument(d.text);
      read.parsed.set(d, p);
    }
    return p;
  }
}
