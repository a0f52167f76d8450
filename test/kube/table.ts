// Server-side printing (meta.k8s.io/v1 Table) as the Kubernetes API server
// does it for `kubectl get`: custom resources from the CRD's
// additionalPrinterColumns (string columns print the JSONPath result, other
// types are typed cells, dates become ages), and the built-in columns of the
// core types we serve (events, nodes, secrets, namespaces).

import type { ResourceDef } from './resources.js';
import type { Obj } from './store.js';
import { storageVersion } from './crd.js';
import { find, text } from './jsonpath.js';

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    return days === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

function age(ts: unknown, now: number): string {
  if (typeof ts !== 'string' || ts === '') return '<unknown>';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? '<invalid>' : humanDuration(now - t);
}

const col = (name: string, type = 'string', priority = 0, format = '', description = ''): Column => ({ name, type, format, description, priority });
const nameColumn = col('Name', 'string', 0, 'name', 'Name must be unique within a namespace.');

function customColumns(def: ResourceDef): { columns: Column[]; row: (o: Obj, now: number) => unknown[] } {
  const printer = storageVersion(def.crd!).additionalPrinterColumns ?? [
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
  const columns = [nameColumn, ...printer.map((c) => col(c.name, c.type, c.priority ?? 0, c.format ?? '', c.description ?? ''))];
  const row = (o: Obj, now: number): unknown[] => [
    o.metadata.name,
    ...printer.map((c) => {
      const found = find(c.jsonPath, o);
      if (found.length === 0) return null;
      const value = found[0];
      if (c.type === 'string') return text([value]);
      if (c.type === 'integer') return Number.isFinite(value) ? Math.trunc(value as number) : null;
      if (c.type === 'number') return typeof value === 'number' ? value : null;
      if (c.type === 'boolean') return typeof value === 'boolean' ? value : null;
      if (c.type === 'date') return typeof value === 'string' ? age(value, now) : null;
      return null;
    }),
  ];
  return { columns, row };
}

function eventSource(o: Obj): string {
  const component = o.source?.component || o.reportingController || '';
  const host = o.source?.host || o.reportingInstance || '';
  return host ? `${component}, ${host}` : component;
}

function coreColumns(def: ResourceDef): { columns: Column[]; row: (o: Obj, now: number) => unknown[] } {
  switch (def.plural) {
    case 'events':
      return {
        columns: [
          col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1),
          col('Message'), col('First Seen', 'string', 1), col('Count', 'string', 1), col('Name', 'string', 1, 'name'),
        ],
        row: (o, now) => {
          const first = o.firstTimestamp ? age(o.firstTimestamp, now) : age(o.eventTime, now);
          let last = o.lastTimestamp ? age(o.lastTimestamp, now) : first;
          let count = o.count || 1;
          if (o.series) {
            last = age(o.series.lastObservedTime, now);
            count = o.series.count;
          }
          const kind = String(o.involvedObject?.kind ?? '').toLowerCase();
          const target = o.involvedObject?.name ? `${kind}/${o.involvedObject.name}` : kind;
          return [last, o.type ?? '', o.reason ?? '', target, o.involvedObject?.fieldPath ?? '', eventSource(o), String(o.message ?? '').trim(), first, count, o.metadata.name];
        },
      };
    case 'nodes':
      return {
        columns: [nameColumn, col('Status'), col('Roles'), col('Age'), col('Version'), col('Internal-IP', 'string', 1)],
        row: (o, now) => {
          const ready = (o.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
          let status = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
          if (o.spec?.unschedulable) status += ',SchedulingDisabled';
          const roles = Object.keys(o.metadata.labels ?? {})
            .filter((l) => l.startsWith('node-role.kubernetes.io/'))
            .map((l) => l.slice('node-role.kubernetes.io/'.length))
            .sort();
          const ip = (o.status?.addresses ?? []).find((a: Obj) => a.type === 'InternalIP')?.address ?? '<none>';
          return [o.metadata.name, status, roles.length ? roles.join(',') : '<none>', age(o.metadata.creationTimestamp, now), o.status?.nodeInfo?.kubeletVersion ?? '', ip];
        },
      };
    case 'secrets':
      return {
        columns: [nameColumn, col('Type'), col('Data'), col('Age')],
        row: (o, now) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length, age(o.metadata.creationTimestamp, now)],
      };
    case 'namespaces':
      return {
        columns: [nameColumn, col('Status'), col('Age')],
        row: (o, now) => [o.metadata.name, o.status?.phase ?? 'Active', age(o.metadata.creationTimestamp, now)],
      };
    default:
      return {
        columns: [nameColumn, col('Age', 'date')],
        row: (o, now) => [o.metadata.name, age(o.metadata.creationTimestamp, now)],
      };
  }
}

/** Whether an Accept header asks for a meta.k8s.io/v1 Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => /as=Table/.test(part) && /g=meta\.k8s\.io/.test(part) && /v=v1(;|$|\s)/.test(part));
}

/**
 * A Table of objects. includeObject: None, Metadata (the default: a
 * PartialObjectMetadata per row) or Object.
 */
export function toTable(def: ResourceDef, objects: Obj[], listMeta: Obj, includeObject = 'Metadata', now = Date.now()): Obj {
  const { columns, row } = def.crd ? customColumns(def) : coreColumns(def);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns,
    rows: objects.map((o) => ({
      cells: row(o, now),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
