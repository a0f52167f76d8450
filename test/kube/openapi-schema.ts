// Validation and pruning of custom resources against a CRD's structural
// openAPIV3Schema, the way the Kubernetes API server does it for
// apiextensions.k8s.io/v1: unknown fields are pruned, then types, ranges,
// lengths, patterns, enums, formats, required fields, list types and the
// x-kubernetes-validations (CEL) rules are checked. CEL rules are evaluated
// through a table of hand-written equivalents (cel-rules.ts).

import { isIPv4, isIPv6 } from 'node:net';

export interface Schema {
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  required?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  pattern?: string;
  enum?: unknown[];
  nullable?: boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  not?: Schema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: { rule: string; message?: string; messageExpression?: string }[];
}

/** One field error, shaped like a Kubernetes StatusCause. */
export interface FieldError {
  /** FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueTypeInvalid, FieldValueTooLong */
  reason: string;
  field: string;
  message: string;
}

export type CelTable = ReadonlyMap<string, (self: unknown) => boolean>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// The formats kube-openapi's strfmt registry checks that CRDs use here.
const formats: Record<string, (s: string) => boolean> = {
  ipv4: (s) => isIPv4(s),
  ipv6: (s) => isIPv6(s) && s.includes(':'),
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
};

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

function typeMatches(type: string | undefined, v: unknown, intOrString: boolean): boolean {
  if (intOrString) return typeof v === 'string' || Number.isInteger(v);
  switch (type) {
    case undefined:
      return true;
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return false;
  }
}

/** Removes fields the schema does not know and nulls it does not allow, in place. */
export function prune(schema: Schema, value: unknown, root = true): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) prune(schema.items, item, false);
    return;
  }
  if (!isObject(value)) return;
  // metadata is validated by the API server itself, never pruned by the schema.
  if (!root && schema.properties === undefined && schema.additionalProperties === undefined) return;
  for (const key of Object.keys(value)) {
    if (root && (key === 'metadata' || key === 'apiVersion' || key === 'kind')) continue;
    const sub = schema.properties?.[key] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
    if (sub === undefined) {
      if (schema.additionalProperties !== true && !schema['x-kubernetes-preserve-unknown-fields']) delete value[key];
      continue;
    }
    if (value[key] === null && !sub.nullable) {
      delete value[key];
      continue;
    }
    prune(sub, value[key], false);
  }
}

/** Validates value against schema; returns every error found (empty when valid). */
export function validate(schema: Schema, value: unknown, cel: CelTable, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  const at = path || '<root>';
  const intOrString = schema['x-kubernetes-int-or-string'] === true;
  if (value === null) {
    if (!schema.nullable) errors.push({ reason: 'FieldValueTypeInvalid', field: at, message: `${at}: Invalid value: "null": ${at} in body must be of type ${schema.type ?? 'object'}: "null"` });
    return errors;
  }
  if (!typeMatches(schema.type, value, intOrString)) {
    const got = Array.isArray(value) ? 'array' : typeof value === 'number' && !Number.isInteger(value) ? 'number' : typeof value;
    errors.push({ reason: 'FieldValueTypeInvalid', field: at, message: `${at}: Invalid value: "${got}": ${at} in body must be of type ${schema.type}: "${got}"` });
    return errors;
  }
  const invalid = (detail: string): void => {
    errors.push({ reason: 'FieldValueInvalid', field: at, message: `${at}: Invalid value: ${show(value)}: ${detail}` });
  };
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push({
      reason: 'FieldValueNotSupported',
      field: at,
      message: `${at}: Unsupported value: ${show(value)}: supported values: ${schema.enum.map((e) => show(e)).join(', ')}`,
    });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) {
      invalid(`${at} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}`);
    }
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) {
      invalid(`${at} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}`);
    }
    if (schema.format === 'int32' && (value < -(2 ** 31) || value >= 2 ** 31)) invalid(`${at} in body must be of type int32`);
    if (schema.format === 'int64' && !Number.isSafeInteger(value)) invalid(`${at} in body must be of type int64`);
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < schema.minLength) {
      invalid(`${at} in body should be at least ${schema.minLength} chars long`);
    }
    if (schema.maxLength !== undefined && length > schema.maxLength) {
      errors.push({ reason: 'FieldValueTooLong', field: at, message: `${at}: Too long: may not be longer than ${schema.maxLength}` });
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
      invalid(`${at} in body should match '${schema.pattern}'`);
    }
    const check = schema.format ? formats[schema.format] : undefined;
    if (check && !check(value)) invalid(`${at} in body must be of type ${schema.format}: ${show(value)}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) invalid(`${at} in body should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push({ reason: 'FieldValueTooMany', field: at, message: `${at}: Too many: ${value.length}: must have at most ${schema.maxItems} items` });
    }
    if (schema.items) value.forEach((item, i) => errors.push(...validate(schema.items!, item, cel, `${path}[${i}]`)));
    errors.push(...listTypeErrors(schema, value, path));
  }
  if (isObject(value)) {
    for (const key of schema.required ?? []) {
      if (!(key in value)) {
        const field = path ? `${path}.${key}` : key;
        errors.push({ reason: 'FieldValueRequired', field, message: `${field}: Required value` });
      }
    }
    for (const [key, sub] of Object.entries(value)) {
      const subSchema = schema.properties?.[key] ?? (isObject(schema.additionalProperties) ? (schema.additionalProperties as Schema) : undefined);
      if (subSchema && !(path === '' && key === 'metadata')) errors.push(...validate(subSchema, sub, cel, path ? `${path}.${key}` : key));
    }
    const count = Object.keys(value).length;
    if (schema.minProperties !== undefined && count < schema.minProperties) invalid(`${at} in body should have at least ${schema.minProperties} properties`);
    if (schema.maxProperties !== undefined && count > schema.maxProperties) invalid(`${at} in body should have at most ${schema.maxProperties} properties`);
  }
  const subOk = (s: Schema): boolean => validate(s, value, cel, path).length === 0;
  if (schema.anyOf && !schema.anyOf.some(subOk)) invalid(`${at} in body must be ${describeAlternatives(schema.anyOf)}`);
  if (schema.oneOf && schema.oneOf.filter(subOk).length !== 1) invalid(`${at} in body must match exactly one schema in oneOf`);
  for (const s of schema.allOf ?? []) errors.push(...validate(s, value, cel, path));
  if (schema.not && subOk(schema.not)) invalid(`${at} in body should not be valid against the schema in "not"`);
  // CEL rules run only on values of the right type, as in the API server.
  if (errors.length === 0) {
    for (const v of schema['x-kubernetes-validations'] ?? []) {
      const fn = cel.get(v.rule);
      if (!fn) throw new Error(`no TypeScript equivalent for CEL rule ${JSON.stringify(v.rule)}`);
      if (!fn(value)) {
        errors.push({ reason: 'FieldValueInvalid', field: at, message: `${at}: Invalid value: ${show(value)}: ${v.message ?? `failed rule: ${v.rule}`}` });
      }
    }
  }
  return errors;
}

function describeAlternatives(options: Schema[]): string {
  const formatsOnly = options.every((o) => o.format !== undefined && Object.keys(o).length === 1);
  return formatsOnly ? `of type ${options.map((o) => o.format).join(' or ')}` : 'valid against one of the schemas in anyOf';
}

function listTypeErrors(schema: Schema, value: unknown[], path: string): FieldError[] {
  const errors: FieldError[] = [];
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const key = JSON.stringify(item);
      if (seen.has(key)) errors.push({ reason: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `${path}[${i}]: Duplicate value: ${key}` });
      seen.add(key);
    });
  } else if (listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      if (!isObject(item)) return;
      const key = JSON.stringify(keys.map((k) => item[k]));
      if (seen.has(key)) {
        const shown = keys.map((k) => `"${k}":${JSON.stringify(item[k])}`).join(',');
        errors.push({ reason: 'FieldValueDuplicate', field: `${path}[${i}]`, message: `${path}[${i}]: Duplicate value: map[string]interface {}{${shown}}` });
      }
      seen.add(key);
    });
  }
  return errors;
}

/** Every CEL rule string in a schema, for checking the rule table covers them. */
export function celRulesIn(schema: Schema): string[] {
  const rules: string[] = [];
  const walk = (s: Schema | undefined): void => {
    if (!s) return;
    for (const v of s['x-kubernetes-validations'] ?? []) rules.push(v.rule);
    for (const sub of Object.values(s.properties ?? {})) walk(sub);
    if (isObject(s.additionalProperties)) walk(s.additionalProperties as Schema);
    walk(s.items);
    for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) walk(sub);
    walk(s.not);
  };
  walk(schema);
  return rules;
}
