// Label selectors (`k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`,
// `!k`, comma = AND) and field selectors (`f=v`, `f==v`, `f!=v`, with `\`
// escapes) as the Kubernetes API server parses them for list and watch.
// Field selectors accept only the fields each resource registers; others are
// a 400 BadRequest, as in the API server.

type Obj = Record<string, any>;

export class SelectorError extends Error {}

interface LabelRequirement {
  key: string;
  op: 'eq' | 'ne' | 'in' | 'notin' | 'exists' | 'absent';
  values: string[];
}

export type Matcher = (obj: Obj) => boolean;

function splitTopLevel(src: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '(') depth++;
    else if (src[i] === ')') depth--;
    else if (src[i] === ',' && depth === 0) {
      parts.push(src.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(src.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseLabelRequirement(term: string): LabelRequirement {
  let m = /^!\s*([A-Za-z0-9_./-]+)$/.exec(term);
  if (m) return { key: m[1], op: 'absent', values: [] };
  m = /^([A-Za-z0-9_./-]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) return { key: m[1], op: m[2] as 'in', values: m[3].split(',').map((v) => v.trim()) };
  m = /^([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)$/.exec(term);
  if (m) return { key: m[1], op: m[2] === '!=' ? 'ne' : 'eq', values: [m[3]] };
  m = /^([A-Za-z0-9_./-]+)$/.exec(term);
  if (m) return { key: m[1], op: 'exists', values: [] };
  throw new SelectorError(`unable to parse requirement: ${term}`);
}

export function parseLabelSelector(src: string | null): Matcher {
  if (!src) return () => true;
  const reqs = splitTopLevel(src).map(parseLabelRequirement);
  return (obj) => {
    const labels: Record<string, string> = obj.metadata?.labels ?? {};
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'eq':
          return has && v === r.values[0];
        case 'ne':
          return !has || v !== r.values[0];
        case 'in':
          return has && r.values.includes(v);
        case 'notin':
          return !has || !r.values.includes(v);
        case 'exists':
          return has;
        case 'absent':
          return !has;
      }
    });
  };
}

/** The selectable fields of each resource (plural -> field -> getter). */
const fieldGetters: Record<string, Record<string, (o: Obj) => string>> = {
  events: {
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath ?? '',
    reason: (o) => o.reason ?? '',
    reportingComponent: (o) => o.reportingComponent ?? '',
    source: (o) => o.source?.component ?? '',
    type: (o) => o.type ?? '',
  },
  secrets: { type: (o) => o.type ?? '' },
  nodes: { 'spec.unschedulable': (o) => String(o.spec?.unschedulable ?? false) },
  namespaces: { 'status.phase': (o) => o.status?.phase ?? '' },
};

function splitEscaped(src: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '\\' && i + 1 < src.length) {
      cur += src[i] + src[i + 1];
      i++;
    } else if (src[i] === sep) {
      parts.push(cur);
      cur = '';
    } else cur += src[i];
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

export function parseFieldSelector(src: string | null, plural: string): Matcher {
  if (!src) return () => true;
  const getters: Record<string, (o: Obj) => string> = {
    'metadata.name': (o) => o.metadata?.name ?? '',
    'metadata.namespace': (o) => o.metadata?.namespace ?? '',
    ...(fieldGetters[plural] ?? {}),
  };
  const reqs = splitEscaped(src, ',')
    .filter((t) => t.trim() !== '')
    .map((term) => {
      const m = /^([^=!]+?)\s*(==|=|!=)(.*)$/s.exec(term.trim());
      if (!m) throw new SelectorError(`invalid selector: '${term}'; can't understand '${term}'`);
      const field = m[1];
      const get = getters[field];
      if (!get) throw new SelectorError(`field label not supported: ${field}`);
      return { get, negate: m[2] === '!=', value: unescape(m[3]) };
    });
  return (obj) => reqs.every((r) => (r.get(obj) === r.value) !== r.negate);
}
