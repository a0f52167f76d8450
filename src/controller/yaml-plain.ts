// A reader for the plain YAML that manifests are written in: block mappings
// and sequences by indentation, one-line flow collections (`[a, b]`,
// `{type: Ready, status: "True"}`), plain, single- and double-quoted
// scalars on one line, comments. It exists for speed: a file of 20,000 Node
// documents is read in a third of the time js-yaml takes, and the values
// come out as the store keeps them (flat strings, short ones shared between
// documents, arrays of their exact length), without the JSON copy yaml.ts
// makes of js-yaml's values.
//
// Anything outside that subset gives NOT_PLAIN, and the caller reads the
// document with js-yaml as before: anchors, aliases, tags, block scalars
// (`|`, `>`), multi-line scalars and flow collections, escapes in double
// quotes, quoted or explicit keys, tabs, carriage returns, duplicate keys,
// and plain scalars that js-yaml might read as a number other than a plain
// decimal (`0x1F`, `1e3`, `010`, `.inf`) or that start with `-`. So a document this reader
// accepts has the value js-yaml (YAML 1.2 core schema) gives it; test/
// controller/yaml-plain.test.ts checks that on generated and mutated
// documents. Errors are never reported from here: a document js-yaml
// rejects is one this reader gives up on, and yaml.ts reports it.

/** The document is not in the subset: read it with js-yaml. */
export const NOT_PLAIN: unique symbol = Symbol('not plain yaml');

class GiveUp extends Error {}
const GIVE_UP = new GiveUp();
function giveUp(): never {
  throw GIVE_UP;
}

// Characters that js-yaml rejects or reads in a way this reader does not
// follow: controls (tab and CR among them), DEL and C1 controls (NEL),
// surrogates, the BOM and the non-characters.
const AWKWARD = /[\x00-\x09\x0B-\x1F\x7F-\x9F\uD800-\uDFFF\uFEFF\uFFFE\uFFFF]/;
/** A plain decimal that js-yaml reads as the same number. */
const DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/;
/**
 * Every plain scalar js-yaml's int or float types could take (and more):
 * 0x / 0o / 0b numbers, decimals with a fraction or an exponent, `.inf`,
 * `.nan`. Not `7901212Ki` or `5.15.0-105`, which are strings.
 */
const NUMBERISH = /^[-+]?(?:0[xXoObB][0-9a-fA-F_]*|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9_]*)?|\.[0-9_]+(?:[eE][-+]?[0-9_]*)?|\.[a-zA-Z]+)$/;

const SPACE = 32;
const COLON = 58;
const HASH = 35;
const DASH = 45;
const COMMA = 44;
const QUOTE = 34;
const APOSTROPHE = 39;
const OPEN_SQUARE = 91;
const CLOSE_SQUARE = 93;
const OPEN_CURLY = 123;
const CLOSE_CURLY = 125;

/** Characters of a key: what label, annotation and field names are made of (letters, digits, `_`, `.`, `/`, `-`). */
const KEY_CHAR = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-') KEY_CHAR[c.charCodeAt(0)] = 1;

/**
 * Per ASCII character: CHECK for `:` and `#`, which a plain scalar is
 * looked at for; FLOW for `,[]{}`, which end or break one in a flow collection.
 */
const CHECK = 1;
const FLOW = 2;
const SCALAR_STOP = new Uint8Array(128);
for (const c of ':#') SCALAR_STOP[c.charCodeAt(0)] = CHECK;
for (const c of ',[]{}') SCALAR_STOP[c.charCodeAt(0)] = FLOW;

/** Not in a Recent table. */
const MISS: unique symbol = Symbol('miss');
/** The longest text a Recent table keeps. */
const RECENT_LENGTH = 32;

/**
 * Short texts read before and what they were read as, by a hash of the
 * text. The same keys and many of the same values (`v1`, `Node`,
 * `InternalIP`, `True`) come back in every document: one found here is
 * neither cut from the text nor resolved again, and all documents share one
 * string for it, as they share JSON.parse's short strings (20,000 Nodes:
 * ~4 MB less than a string per occurrence).
 */
class Recent {
  private readonly texts: string[];
  private readonly values: unknown[];
  private readonly mask: number;

  constructor(bits: number) {
    this.texts = new Array<string>(1 << bits).fill('');
    this.values = new Array<unknown>(1 << bits).fill(MISS);
    this.mask = (1 << bits) - 1;
  }

  /** The slot of t[at, end). */
  slot(t: string, at: number, end: number): number {
    let h = 0;
    for (let i = at; i < end; i++) h = (Math.imul(h, 31) + t.charCodeAt(i)) | 0;
    return (h ^ (h >>> 13)) & this.mask;
  }

  /** What t[at, end) was read as, if it is the text in `slot`; else MISS. */
  find(slot: number, t: string, at: number, end: number): unknown {
    const known = this.texts[slot]!;
    if (known.length !== end - at) return MISS;
    for (let i = 0; i < known.length; i++) if (known.charCodeAt(i) !== t.charCodeAt(at + i)) return MISS;
    return this.values[slot];
  }

  /**
   * What t[at, end) reads as: the value kept for it, or what `read` makes of
   * the text (a string of its own, not a slice of the document), kept now.
   */
  get(t: string, at: number, end: number, read: (text: string) => unknown): unknown {
    if (end - at > RECENT_LENGTH) return read(own(t.slice(at, end)));
    const slot = this.slot(t, at, end);
    const known = this.find(slot, t, at, end);
    if (known !== MISS) return known;
    const text = own(t.slice(at, end));
    const value = read(text);
    this.texts[slot] = text;
    this.values[slot] = value;
    return value;
  }
}

const recentKeys = new Recent(10);
const recentPlain = new Recent(12);
const recentQuoted = new Recent(10);

/**
 * Characters that cannot start a plain scalar here: YAML's indicators.
 * (`-`, `?` and `:` may start one when a non-space follows, as in `-1`;
 * this reader leaves those to js-yaml.)
 */
function isIndicator(c: number): boolean {
  switch (c) {
    case DASH: case 63: case COLON: case COMMA: case OPEN_SQUARE: case CLOSE_SQUARE: case OPEN_CURLY:
    case CLOSE_CURLY: case HASH: case 38: case 42: case 33: case 124: case 62: case QUOTE: case APOSTROPHE:
    case 37: case 64: case 96:
      return true;
    default:
      return false;
  }
}

/** Where own() puts what it computes, so the compiler cannot drop the computation. */
let sink = 0;

/**
 * A string that holds only its own characters. A substring of 13 characters
 * or more is a view into its parent (V8's sliced strings): a value kept from
 * a document would hold the whole file text alive, and after the file is
 * edited, every version of it. A concatenation is copied into a fresh string
 * the first time it is read as a number (test/controller/yaml-plain.test.ts
 * checks that the file text is freed).
 */
function own(s: string): string {
  if (s.length < 13) return s;
  const copy = s[0] + s.slice(1);
  sink = +copy;
  return copy;
}

/** The plain scalar is a string. */
const STRING: unique symbol = Symbol('string');

/** What js-yaml's core schema makes of the plain scalar `s` (not empty) when it is not a string. */
function implicit(s: string): null | boolean | number | typeof STRING {
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === DASH || c === 43 || c === 46) {
    if (DECIMAL.test(s)) return Number(s);
    if (NUMBERISH.test(s)) giveUp();
    return STRING;
  }
  switch (s.length) {
    case 1:
      return s === '~' ? null : STRING;
    case 4:
      if (c === 110 || c === 78) return s === 'null' || s === 'Null' || s === 'NULL' ? null : STRING;
      if (c === 116 || c === 84) return s === 'true' || s === 'True' || s === 'TRUE' ? true : STRING;
      return STRING;
    case 5:
      if (c === 102 || c === 70) return s === 'false' || s === 'False' || s === 'FALSE' ? false : STRING;
      return STRING;
    default:
      return STRING;
  }
}

/** A plain scalar's value. */
function plain(text: string): unknown {
  const v = implicit(text);
  return v === STRING ? text : v;
}

/** A key: a plain scalar that reads as a string, without a leading `-`. */
function key(text: string): string {
  if (text.length > MAX_KEY || text.charCodeAt(0) === DASH || implicit(text) !== STRING) giveUp();
  return text;
}

const quoted = (text: string): string => text;

/** The longest key js-yaml takes without an explicit `?`. */
const MAX_KEY = 1024;

/** Values of sequences being read, nested sequences stacked; copied out at their exact length. */
const items: unknown[] = [];

function takeItems(from: number): unknown[] {
  const out = items.slice(from);
  items.length = from;
  return out;
}

/**
 * Sets a key not set before. A value read here is never undefined, so a key
 * that reads as something is a repeat (or `__proto__`, `toString` and the
 * like, which js-yaml is left to handle).
 */
function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (obj[key] !== undefined) giveUp();
  obj[key] = value;
}

class Reader {
  /** The current line: its start, and the end of its content (trailing spaces cut). */
  private start = 0;
  private stop = 0;
  /** Where the current node starts, and its column; -1 at the end of the text. */
  at = 0;
  indent = -1;
  private next = 0;
  /** Where the last value read by value() ended. */
  private pos = 0;

  constructor(private readonly t: string) {}

  /** Moves to the next line with content (blank lines and comment lines are skipped); false at the end of the text. */
  advance(): boolean {
    const t = this.t;
    while (this.next < t.length) {
      const start = this.next;
      let nl = t.indexOf('\n', start);
      if (nl < 0) nl = t.length;
      this.next = nl + 1;
      let i = start;
      while (i < nl && t.charCodeAt(i) === SPACE) i++;
      if (i === nl || t.charCodeAt(i) === HASH) continue;
      let e = nl;
      while (t.charCodeAt(e - 1) === SPACE) e--;
      // A document end marker.
      if (i === start && t.startsWith('...', i) && (i + 3 === e || t.charCodeAt(i + 3) === SPACE)) giveUp();
      this.start = start;
      this.stop = e;
      this.at = i;
      this.indent = i - start;
      return true;
    }
    this.indent = -1;
    this.at = t.length;
    return false;
  }

  /** Skips the document's own `---` line, if it has one; content after the marker is left to js-yaml. */
  skipMarker(): void {
    const t = this.t;
    if (!t.startsWith('---')) return;
    let nl = t.indexOf('\n');
    if (nl < 0) nl = t.length;
    let i = 3;
    while (i < nl && t.charCodeAt(i) === SPACE) i++;
    if (i < nl && !(i > 3 && t.charCodeAt(i) === HASH)) giveUp();
    this.next = nl + 1;
  }

  /** Whether nothing but a comment follows from `i` (which follows a space, or is the line's end). */
  private restIsEmpty(i: number): boolean {
    return i === this.stop || (this.t.charCodeAt(i) === HASH && this.t.charCodeAt(i - 1) === SPACE);
  }

  /** Whether `at` starts a block sequence entry (`-` then a space or the line's end). */
  private isEntry(at: number): boolean {
    return this.t.charCodeAt(at) === DASH && (at + 1 === this.stop || this.t.charCodeAt(at + 1) === SPACE);
  }

  /**
   * The end of the key at `at` (at its `:`), or -1 if `at` does not start
   * `key:` followed by a space or the line's end.
   */
  private keyEnd(at: number): number {
    const t = this.t;
    let i = at;
    for (; i < this.stop; i++) {
      const c = t.charCodeAt(i);
      if (c >= 128 || KEY_CHAR[c] === 0) break;
    }
    if (i === at || i === this.stop || t.charCodeAt(i) !== COLON) return -1;
    if (i + 1 < this.stop && t.charCodeAt(i + 1) !== SPACE) return -1;
    return i;
  }

  /** The key from `at` to `end`, which keyEnd just found. */
  private key(at: number, end: number): string {
    return recentKeys.get(this.t, at, end, key) as string;
  }

  /** A block node starting at `at` on the current line, at column `indent`. */
  block(): unknown {
    if (this.isEntry(this.at)) return this.sequence(this.indent);
    if (this.keyEnd(this.at) >= 0) return this.mapping(this.indent);
    return giveUp();
  }

  /** What follows `key:` or `-` with nothing after it on the line: a nested block, an indentless sequence, or null. */
  private below(col: number, indentlessOk: boolean): unknown {
    if (!this.advance()) return null;
    if (this.indent > col) return this.block();
    if (indentlessOk && this.indent === col && this.isEntry(this.at)) return this.sequence(col);
    return null;
  }

  /** The value after `key: ` or `- ` on the current line, then on to the next line. */
  private inline(at: number): unknown {
    const v = this.value(at, false);
    if (!this.restIsEmpty(this.pos)) giveUp();
    this.advance();
    return v;
  }

  /** A block mapping whose first key is at `at`, at column `col`. */
  private mapping(col: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (;;) {
      const k = this.keyEnd(this.at);
      if (k < 0) giveUp();
      const key = this.key(this.at, k);
      const v = this.after(k + 1);
      setKey(obj, key, this.restIsEmpty(v) ? this.below(col, true) : this.inline(v));
      if (this.indent > col) giveUp();
      if (this.indent < col) return obj;
    }
  }

  /** A block sequence whose first `-` is at `at`, at column `col`. */
  private sequence(col: number): unknown[] {
    const from = items.length;
    for (;;) {
      if (!this.isEntry(this.at)) break;
      const v = this.after(this.at + 1);
      if (this.restIsEmpty(v)) {
        const item = this.below(col, false);
        // js-yaml takes an entry further left after an empty one into this sequence.
        if (item === null && this.indent >= 0 && this.indent < col && this.isEntry(this.at)) giveUp();
        items.push(item);
      } else if (this.isEntry(v)) giveUp();
      else if (this.keyEnd(v) >= 0) {
        this.at = v;
        this.indent = v - this.start;
        items.push(this.mapping(this.indent));
      } else items.push(this.inline(v));
      if (this.indent > col) giveUp();
      if (this.indent < col) break;
    }
    return takeItems(from);
  }

  /**
   * A scalar or flow collection at `at` on the current line, and where it
   * ends; `flow` inside a flow collection, where `,`, `]` and `}` end a plain scalar.
   */
  private value(at: number, flow: boolean): unknown {
    const t = this.t;
    const c = t.charCodeAt(at);
    if (c === OPEN_SQUARE) return this.flowSequence(at);
    if (c === OPEN_CURLY) return this.flowMapping(at);
    if (c === QUOTE) {
      const close = t.indexOf('"', at + 1);
      if (close < 0 || close >= this.stop) giveUp();
      const slash = t.indexOf('\\', at + 1);
      if (slash >= 0 && slash < close) giveUp();
      this.pos = this.after(close + 1);
      return recentQuoted.get(t, at + 1, close, quoted) as string;
    }
    if (c === APOSTROPHE) {
      let close = t.indexOf("'", at + 1);
      if (close < 0 || close >= this.stop) giveUp();
      if (t.charCodeAt(close + 1) !== APOSTROPHE) {
        this.pos = this.after(close + 1);
        return recentQuoted.get(t, at + 1, close, quoted) as string;
      }
      // `''` is a quote.
      let s = '';
      let from = at + 1;
      for (;;) {
        s += t.slice(from, close);
        if (t.charCodeAt(close + 1) !== APOSTROPHE) {
          this.pos = this.after(close + 1);
          return own(s);
        }
        s += "'";
        from = close + 2;
        close = t.indexOf("'", from);
        if (close < 0 || close >= this.stop) giveUp();
      }
    }
    if (isIndicator(c)) giveUp();
    const mask = flow ? CHECK | FLOW : CHECK;
    let i = at;
    for (; i < this.stop; i++) {
      const d = t.charCodeAt(i);
      if (d >= 128 || (SCALAR_STOP[d]! & mask) === 0) continue;
      if (d === COLON) {
        // `: ` makes a key; in a flow collection, so does `:` before `,[]{}`.
        const e = t.charCodeAt(i + 1);
        if (i + 1 === this.stop || e === SPACE || (flow && e < 128 && SCALAR_STOP[e] === FLOW)) giveUp();
      } else if (d === HASH) {
        // ` #` starts a comment, which ends the scalar and the line (inside a flow collection, that is a line break in it).
        if (t.charCodeAt(i - 1) === SPACE) {
          if (flow) giveUp();
          break;
        }
      } else if (flow && (d === COMMA || d === CLOSE_SQUARE || d === CLOSE_CURLY)) break;
      else if (flow && (d === OPEN_SQUARE || d === OPEN_CURLY)) giveUp();
    }
    let e = i;
    while (t.charCodeAt(e - 1) === SPACE) e--;
    this.pos = i;
    // A plain scalar (not empty), as js-yaml's core schema reads it.
    return recentPlain.get(t, at, e, plain);
  }

  /** Past the spaces from `i` on the current line. */
  private after(i: number): number {
    while (i < this.stop && this.t.charCodeAt(i) === SPACE) i++;
    return i;
  }

  /**
   * After an item of a flow collection at `i`: past `,` to the next item
   * (its position), or past the closing bracket (minus the position after it).
   */
  private separator(i: number, close: number): number {
    const c = this.t.charCodeAt(i);
    if (c === close) return -(i + 1);
    if (c !== COMMA) giveUp();
    const next = this.after(i + 1);
    // A trailing comma, or a line break inside the collection.
    if (next === this.stop || this.t.charCodeAt(next) === close) giveUp();
    return next;
  }

  private flowSequence(at: number): unknown[] {
    let i = this.after(at + 1);
    if (this.t.charCodeAt(i) === CLOSE_SQUARE) {
      this.pos = this.after(i + 1);
      return [];
    }
    const from = items.length;
    for (;;) {
      if (i === this.stop) giveUp();
      items.push(this.value(i, true));
      i = this.separator(this.after(this.pos), CLOSE_SQUARE);
      if (i < 0) {
        this.pos = this.after(-i);
        return takeItems(from);
      }
    }
  }

  private flowMapping(at: number): Record<string, unknown> {
    const t = this.t;
    const obj: Record<string, unknown> = {};
    let i = this.after(at + 1);
    if (t.charCodeAt(i) === CLOSE_CURLY) {
      this.pos = this.after(i + 1);
      return obj;
    }
    for (;;) {
      const k = this.keyEnd(i);
      if (k < 0) giveUp();
      const key = this.key(i, k);
      const vAt = this.after(k + 1);
      if (vAt === this.stop) giveUp();
      const c = t.charCodeAt(vAt);
      if (c === COMMA || c === CLOSE_CURLY) giveUp();
      setKey(obj, key, this.value(vAt, true));
      i = this.separator(this.after(this.pos), CLOSE_CURLY);
      if (i < 0) {
        this.pos = this.after(-i);
        return obj;
      }
    }
  }
}

/**
 * The value of one YAML document (`---` marker included or not), or
 * NOT_PLAIN when it is outside this reader's subset (see the top of the
 * file). Any other failure (a document nested deeper than the stack) is
 * NOT_PLAIN too, so js-yaml gets to say what is wrong; `strict` (for tests)
 * throws it instead.
 */
export function readPlainYaml(text: string, strict = false): unknown {
  if (AWKWARD.test(text)) return NOT_PLAIN;
  const r = new Reader(text);
  const from = items.length;
  try {
    r.skipMarker();
    if (!r.advance()) return NOT_PLAIN;
    const value = r.block();
    return r.indent === -1 ? value : NOT_PLAIN;
  } catch (e) {
    if (strict && e !== GIVE_UP) throw e;
    return NOT_PLAIN;
  } finally {
    items.length = from;
  }
}
