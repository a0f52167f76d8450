// The subset of Kubernetes JSONPath that CRD additionalPrinterColumns use:
// `.field`, `['field']`, `[n]`, `[*]` and filters `[?(@.a.b == "x")]`,
// `[?(@.a != 1)]`, `[?(@.a)]`. find() returns every match; text() prints them
// the way the API server's table convertor does.

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: Step[]; op?: '==' | '!=' | '<' | '>' | '<=' | '>='; literal?: unknown };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseLiteral(src: string): unknown {
  const s = src.trim();
  if (/^(["']).*\1$/s.test(s)) return s.slice(1, -1);
  if (s === 'true' || s === 'false') return s === 'true';
  const n = Number(s);
  if (s !== '' && !Number.isNaN(n)) return n;
  throw new Error(`bad JSONPath literal ${src}`);
}

export function parseJsonPath(expression: string): Step[] {
  let src = expression.trim();
  if (src.startsWith('{') && src.endsWith('}')) src = src.slice(1, -1);
  if (src.startsWith('$')) src = src.slice(1);
  if (src.startsWith('@')) src = src.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '.') {
      const m = /^[A-Za-z0-9_\-$]+/.exec(src.slice(i + 1));
      if (!m) throw new Error(`bad JSONPath ${expression} at ${i}`);
      steps.push({ kind: 'field', name: m[0] });
      i += 1 + m[0].length;
    } else if (c === '[') {
      let depth = 0;
      let quote = '';
      let j = i;
      for (; j < src.length; j++) {
        const d = src[j];
        if (quote) {
          if (d === quote) quote = '';
        } else if (d === '"' || d === "'") quote = d;
        else if (d === '[') depth++;
        else if (d === ']' && --depth === 0) break;
      }
      if (j >= src.length) throw new Error(`unclosed [ in JSONPath ${expression}`);
      steps.push(parseBracket(src.slice(i + 1, j).trim(), expression));
      i = j + 1;
    } else {
      throw new Error(`bad JSONPath ${expression} at ${i}`);
    }
  }
  return steps;
}

function parseBracket(inner: string, expression: string): Step {
  if (inner === '*') return { kind: 'all' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  if (/^(["']).*\1$/.test(inner)) return { kind: 'field', name: inner.slice(1, -1) };
  const f = /^\?\((.*)\)$/s.exec(inner);
  if (!f) throw new Error(`unsupported JSONPath ${expression}`);
  const m = /^\s*(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/s.exec(f[1]);
  if (m) return { kind: 'filter', path: parseJsonPath(m[1]), op: m[2] as '==', literal: parseLiteral(m[3]) };
  return { kind: 'filter', path: parseJsonPath(f[1].trim()) };
}

function apply(steps: Step[], roots: unknown[]): unknown[] {
  let current = roots;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if (step.kind === 'field') {
        if (isObject(v) && step.name in v) next.push(v[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(v)) {
          const idx = step.index < 0 ? v.length + step.index : step.index;
          if (idx >= 0 && idx < v.length) next.push(v[idx]);
        }
      } else if (step.kind === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (isObject(v)) next.push(...Object.values(v));
      } else {
        const items = Array.isArray(v) ? v : isObject(v) ? Object.values(v) : [];
        for (const item of items) if (matches(step, item)) next.push(item);
      }
    }
    current = next;
  }
  return current;
}

function matches(step: Extract<Step, { kind: 'filter' }>, item: unknown): boolean {
  const found = apply(step.path, [item]);
  if (step.op === undefined) return found.length > 0;
  if (found.length === 0) return false;
  const left = found[0];
  const right = step.literal;
  switch (step.op) {
    case '==':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return (left as number) < (right as number);
    case '>':
      return (left as number) > (right as number);
    case '<=':
      return (left as number) <= (right as number);
    case '>=':
      return (left as number) >= (right as number);
  }
}

/** Every value the expression selects in obj. */
export function find(expression: string, obj: unknown): unknown[] {
  return apply(parseJsonPath(expression), [obj]);
}

/** Values printed as kubectl's JSONPath printer does: strings raw, others as JSON, space-separated. */
export function text(values: unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
}
