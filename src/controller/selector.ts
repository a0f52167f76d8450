// Kubernetes label selectors in their text form (the syntax of
// `kubectl get -l`): `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
// `k` (exists), `!k` (does not exist), comma = AND, whitespace between
// tokens ignored; plus `all()`, which matches every node.
//
// An empty selector text matches every node, as in Kubernetes. A BGPPeer
// whose spec.nodeSelector is absent selects every node too: absent means
// all(). As in Kubernetes, `k!=v` and `k notin (...)` also match objects
// without the label k.
//
// Label keys are `[prefix/]name`: name at most 63 characters of
// [A-Za-z0-9._-] starting and ending alphanumeric; prefix a DNS subdomain of
// at most 253 characters. Values: empty, or at most 63 characters of the name
// alphabet.

/** One paragraph for `bgp-speaker validate --help` and the README. */
export const SELECTOR_HELP =
  'spec.nodeSelector is a Kubernetes label selector: k=v, k==v, k!=v, k in (a,b), k notin (a,b), ' +
  'k (label present), !k (label absent), comma-separated requirements must all hold; all() selects every node. ' +
  'An absent or empty nodeSelector means all(). k!=v and k notin (...) also select nodes without the label k.';

export type Operator = 'eq' | 'neq' | 'in' | 'notin' | 'exists' | 'notexists';

export interface Requirement {
  readonly key: string;
  readonly op: Operator;
  /** Sorted, de-duplicated; empty for exists/notexists. */
  readonly values: readonly string[];
}

export type Selector =
  | { readonly all: true; readonly requirements: readonly [] }
  | { readonly all: false; readonly requirements: readonly Requirement[] };

export const ALL: Selector = Object.freeze({ all: true, requirements: [] as [] }) as Selector;

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why a label key is invalid, or undefined when it is valid. */
export function labelKeyError(key: string): string | undefined {
  if (key === '') return 'a label key must not be empty';
  const slash = key.indexOf('/');
  let name = key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    name = key.slice(slash + 1);
    if (prefix === '') return `label key "${key}" has an empty prefix`;
    if (prefix.length > 253) return `label key prefix "${prefix}" is longer than 253 characters`;
    if (!prefix.split('.').every((l) => DNS_LABEL.test(l) && l.length <= 63)) {
      return `label key prefix "${prefix}" is not a DNS subdomain (lower-case alphanumerics, '-' and '.')`;
    }
  }
  if (name === '') return `label key "${key}" has an empty name`;
  if (name.length > 63) return `label key name "${name}" is longer than 63 characters`;
  if (!NAME.test(name)) {
    return `label key name "${name}" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid. */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `label value "${value}" is longer than 63 characters`;
  if (!NAME.test(value)) {
    return `label value "${value}" must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  }
  return undefined;
}

type Token =
  | { t: 'id'; v: string; pos: number }
  | { t: '(' | ')' | ',' | '=' | '==' | '!=' | '!' | 'end'; pos: number };

const SPECIAL = new Set(['(', ')', ',', '=', '!', ' ', '\t', '\n', '\r', '<', '>']);

function fail(pos: number, what: string): never {
  throw new Error(`at position ${pos + 1}: ${what}`);
}

function describe(tok: Token): string {
  if (tok.t === 'end') return 'the end of the selector';
  if (tok.t === 'id') return `"${tok.v}"`;
  return `'${tok.t}'`;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, pos: i });
      i++;
    } else if (c === '=') {
      if (text[i + 1] === '=') {
        out.push({ t: '==', pos: i });
        i += 2;
      } else {
        out.push({ t: '=', pos: i });
        i++;
      }
    } else if (c === '!') {
      if (text[i + 1] === '=') {
        out.push({ t: '!=', pos: i });
        i += 2;
      } else {
        out.push({ t: '!', pos: i });
        i++;
      }
    } else if (c === '<' || c === '>') {
      fail(i, `the operator '${c}' is not supported (use =, ==, !=, in, notin, k or !k)`);
    } else {
      const start = i;
      while (i < text.length && !SPECIAL.has(text[i]!)) i++;
      out.push({ t: 'id', v: text.slice(start, i), pos: start });
    }
  }
  out.push({ t: 'end', pos: text.length });
  return out;
}

/**
 * Parses a label selector. Throws an Error whose message names the position
 * (1-based character) and the problem.
 */
export function parseSelector(text: string): Selector {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'all()' || /^all\s*\(\s*\)$/.test(trimmed)) return ALL;
  const toks = tokenize(text);
  let k = 0;
  const peek = (): Token => toks[k]!;
  const next = (): Token => toks[k++]!;
  const reqs: Requirement[] = [];

  const key = (tok: Token): string => {
    if (tok.t !== 'id') fail(tok.pos, `expected a label key, found ${describe(tok)}`);
    const err = labelKeyError(tok.v);
    if (err) fail(tok.pos, err);
    return tok.v;
  };
  const value = (tok: Token): string => {
    if (tok.t !== 'id') fail(tok.pos, `expected a label value, found ${describe(tok)}`);
    const err = labelValueError(tok.v);
    if (err) fail(tok.pos, err);
    return tok.v;
  };
  const set = (): string[] => {
    const open = next();
    if (open.t !== '(') fail(open.pos, `expected '(' after in/notin, found ${describe(open)}`);
    const values: string[] = [];
    // Kubernetes reads `k in ()` and `k in (a,)` as containing the empty value.
    for (;;) {
      const tok = peek();
      if (tok.t === 'id') {
        values.push(value(next()));
      } else {
        values.push('');
      }
      const sep = next();
      if (sep.t === ')') break;
      if (sep.t !== ',') fail(sep.pos, `expected ',' or ')' in the value list, found ${describe(sep)}`);
    }
    return [...new Set(values)].sort();
  };

  for (;;) {
    const first = next();
    if (first.t === '!') {
      reqs.push({ key: key(next()), op: 'notexists', values: [] });
    } else {
      const k0 = key(first);
      const op = peek();
      if (op.t === ',' || op.t === 'end') {
        reqs.push({ key: k0, op: 'exists', values: [] });
      } else if (op.t === '=' || op.t === '==' || op.t === '!=') {
        next();
        const v = peek();
        // `k=` selects the empty value, as in Kubernetes.
        const val = v.t === ',' || v.t === 'end' ? '' : value(next());
        reqs.push({ key: k0, op: op.t === '!=' ? 'neq' : 'eq', values: [val] });
      } else if (op.t === 'id' && (op.v === 'in' || op.v === 'notin')) {
        next();
        reqs.push({ key: k0, op: op.v, values: set() });
      } else {
        fail(op.pos, `expected =, ==, !=, in, notin, ',' or the end after the key "${k0}", found ${describe(op)}`);
      }
    }
    const sep = next();
    if (sep.t === 'end') break;
    if (sep.t !== ',') fail(sep.pos, `expected ',' or the end of the selector, found ${describe(sep)}`);
  }
  return { all: false, requirements: reqs };
}

/** True when the labels satisfy every requirement. */
export function matches(selector: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (selector.all) return true;
  const l = labels ?? {};
  for (const r of selector.requirements) {
    // A label whose value is not a string (a YAML number) counts as absent.
    const v = Object.prototype.hasOwnProperty.call(l, r.key) ? l[r.key] : undefined;
    const has = typeof v === 'string';
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case 'eq':
        if (!has || v !== r.values[0]) return false;
        break;
      case 'neq':
        if (has && v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
    }
  }
  return true;
}

/** The canonical text of a selector (sorted requirements); equal selectors give equal text. */
export function formatSelector(selector: Selector): string {
  if (selector.all) return 'all()';
  return selector.requirements
    .map((r) => {
      switch (r.op) {
        case 'exists':
          return r.key;
        case 'notexists':
          return `!${r.key}`;
        case 'eq':
          return `${r.key}=${r.values[0]}`;
        case 'neq':
          return `${r.key}!=${r.values[0]}`;
        default:
          return `${r.key} ${r.op} (${r.values.join(',')})`;
      }
    })
    .sort()
    .join(',');
}
