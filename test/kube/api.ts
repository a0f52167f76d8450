// Write semantics of the test API server, as the Kubernetes API server's
// generic registry applies them: create (uid, creationTimestamp, generation,
// generateName), update with optimistic concurrency on resourceVersion,
// patches (merge, strategic treated as merge, JSON patch), the status
// subresource (main writes keep status, /status writes change only status,
// spec changes bump metadata.generation), no-op writes that keep the
// resourceVersion, finalizers and deletion, and per-type validation
// (BGPPeer schema from the CRD, Event namespace rules, Secret data).

import { randomBytes, randomUUID } from 'node:crypto';
import { validateCustomResource } from './crd.js';
import type { FieldError } from './openapi-schema.js';
import { jsonPatch, mergePatch, PatchError } from './patch.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { alreadyExists, ApiError, badRequest, conflict, invalid, notFound } from './status.js';
import { timestamp, type Obj, type Store } from './store.js';

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Everything but metadata and status: what metadata.generation tracks. */
function specPart(o: Obj): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

function sameContent(a: Obj, b: Obj): boolean {
  const strip = (o: Obj): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return strip(a) === strip(b);
}

function validateName(def: ResourceDef, name: string): FieldError[] {
  const re = def.plural === 'namespaces' ? label : subdomain;
  if (name.length > (def.plural === 'namespaces' ? 63 : 253) || !re.test(name)) {
    return [
      {
        reason: 'FieldValueInvalid',
        field: 'metadata.name',
        message: `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 ${def.plural === 'namespaces' ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      },
    ];
  }
  return [];
}

/** core/v1 Event validation (legacyValidateEvent in the API server). */
function validateEvent(o: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const ns = o.metadata.namespace ?? '';
  const involvedNs = o.involvedObject?.namespace ?? '';
  const mismatch = (): void => {
    errors.push({ reason: 'FieldValueInvalid', field: 'involvedObject.namespace', message: `involvedObject.namespace: Invalid value: ${JSON.stringify(involvedNs)}: does not match event.namespace` });
  };
  const required = (field: string): void => {
    errors.push({ reason: 'FieldValueRequired', field, message: `${field}: Required value` });
  };
  if (!o.eventTime) {
    // An event about a cluster-scoped object lives in "default".
    if (involvedNs === '' ? ns !== '' && ns !== 'default' : ns !== involvedNs) mismatch();
  } else {
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') mismatch();
    if (!o.reportingComponent) required('reportingComponent');
    if (!o.reportingInstance) required('reportingInstance');
    if (!o.action) required('action');
    if (!o.reason) required('reason');
  }
  if (typeof o.message === 'string' && Buffer.byteLength(o.message) > 1024 && o.eventTime) {
    errors.push({ reason: 'FieldValueTooLong', field: 'message', message: 'message: Too long: may not be longer than 1024' });
  }
  return errors;
}

/** Secret: stringData is folded into data (write-only), data values are base64 of bytes. */
function normalizeSecret(o: Obj): FieldError[] {
  const errors: FieldError[] = [];
  if (isObject(o.stringData)) {
    o.data = { ...(o.data ?? {}) };
    for (const [k, v] of Object.entries(o.stringData)) o.data[k] = Buffer.from(String(v)).toString('base64');
  }
  delete o.stringData;
  o.type ??= 'Opaque';
  for (const [k, v] of Object.entries(o.data ?? {})) {
    if (!/^[-._a-zA-Z0-9]+$/.test(k)) {
      errors.push({ reason: 'FieldValueInvalid', field: `data[${k}]`, message: `data[${k}]: Invalid value: ${JSON.stringify(k)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.'` });
    }
    if (typeof v !== 'string' || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(v)) {
      throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0`);
    }
  }
  return errors;
}

export class Api {
  constructor(private readonly store: Store) {}

  private check(def: ResourceDef, o: Obj, isCreate: boolean): void {
    const errors: FieldError[] = isCreate ? validateName(def, o.metadata.name) : [];
    if (def.plural === 'events') errors.push(...validateEvent(o));
    if (def.plural === 'secrets') errors.push(...normalizeSecret(o));
    if (def.crd) errors.push(...validateCustomResource(def.crd, o));
    if (errors.length) throw invalid(def, o.metadata.name, errors);
  }

  private checkKind(def: ResourceDef, body: Obj): void {
    if (!isObject(body)) throw badRequest('the body of the request was in an unknown format');
    if (body.kind !== undefined && body.kind !== def.kind) {
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(def)) {
      throw badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`);
    }
  }

  private existing(def: ResourceDef, ns: string, name: string): Obj {
    const old = this.store.get(def.plural, ns, name);
    if (!old) throw notFound(def, name);
    return old;
  }

  create(def: ResourceDef, ns: string, body: Obj): Obj {
    this.checkKind(def, body);
    const o = structuredClone(body);
    o.apiVersion = apiVersionOf(def);
    o.kind = def.kind;
    o.metadata = isObject(o.metadata) ? o.metadata : {};
    if (def.namespaced) {
      if (o.metadata.namespace !== undefined && o.metadata.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (!this.store.get('namespaces', '', ns)) throw notFound(this.store.resolve('namespaces'), ns);
      o.metadata.namespace = ns;
    } else delete o.metadata.namespace;
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${randomBytes(4).toString('hex').slice(0, 5)}`;
    if (!o.metadata.name) {
      throw invalid(def, '', [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'metadata.name: Required value: name or generateName is required' }]);
    }
    if (o.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (this.store.get(def.plural, ns, o.metadata.name)) throw alreadyExists(def, o.metadata.name);
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = timestamp();
    delete o.metadata.deletionTimestamp;
    if (def.crd) {
      o.metadata.generation = 1;
      // Custom resources with a status subresource ignore status on create.
      if (def.statusSubresource) delete o.status;
    }
    if (def.plural === 'namespaces') {
      o.spec = { finalizers: ['kubernetes'], ...(o.spec ?? {}) };
      o.status = { phase: 'Active' };
    }
    this.check(def, o, true);
    return this.store.commit(def, 'ADDED', o);
  }

  /** PUT: body replaces the object (or only its status when subresource is "status"). */
  update(def: ResourceDef, ns: string, name: string, body: Obj, subresource?: string): Obj {
    this.checkKind(def, body);
    const old = this.existing(def, ns, name);
    if (body.metadata?.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
    }
    const rv = body.metadata?.resourceVersion;
    if (rv === undefined || rv === '') {
      if (def.crd) {
        throw invalid(def, name, [{ reason: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update' }]);
      }
    } else if (rv !== old.metadata.resourceVersion) throw conflict(def, name);
    return this.write(def, old, body, subresource);
  }

  /** PATCH: applies the patch to the stored object, then writes it as an update. */
  patch(def: ResourceDef, ns: string, name: string, contentType: string, patch: unknown, subresource?: string): Obj {
    const old = this.existing(def, ns, name);
    let patched: unknown;
    try {
      if (contentType.startsWith('application/json-patch+json')) patched = jsonPatch(old, patch);
      else if (contentType.startsWith('application/merge-patch+json') || contentType.startsWith('application/strategic-merge-patch+json')) {
        if (!isObject(patch)) throw new PatchError('a merge patch must be a JSON object');
        patched = mergePatch(old, patch);
      } else {
        throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
      }
    } catch (e) {
      if (e instanceof PatchError) throw new ApiError(422, 'Invalid', e.message);
      throw e;
    }
    if (!isObject(patched)) throw badRequest('the patched object is not an object');
    const p = patched as Obj;
    p.metadata = isObject(p.metadata) ? p.metadata : {};
    // A resourceVersion in the patch is a precondition.
    if (p.metadata.resourceVersion !== old.metadata.resourceVersion) throw conflict(def, name);
    if (p.metadata.name !== name) throw badRequest(`the name of the object (${p.metadata.name}) does not match the name on the URL (${name})`);
    this.checkKind(def, p);
    return this.write(def, old, p, subresource);
  }

  private write(def: ResourceDef, old: Obj, body: Obj, subresource?: string): Obj {
    let o: Obj;
    if (subresource === 'status') {
      if (!def.statusSubresource) throw notFound(def, old.metadata.name);
      o = structuredClone(old);
      if (body.status === undefined) delete o.status;
      else o.status = structuredClone(body.status);
    } else {
      o = structuredClone(body);
      o.apiVersion = apiVersionOf(def);
      o.kind = def.kind;
      if (def.statusSubresource) {
        if (old.status === undefined) delete o.status;
        else o.status = old.status;
      }
      // Fields the server owns.
      const m = { ...(isObject(o.metadata) ? o.metadata : {}) };
      m.name = old.metadata.name;
      if (def.namespaced) m.namespace = old.metadata.namespace;
      else delete m.namespace;
      m.uid = old.metadata.uid;
      m.creationTimestamp = old.metadata.creationTimestamp;
      if (old.metadata.deletionTimestamp) m.deletionTimestamp = old.metadata.deletionTimestamp;
      else delete m.deletionTimestamp;
      if (def.crd) m.generation = specPart(o) === specPart(old) ? old.metadata.generation : (old.metadata.generation ?? 1) + 1;
      else if (old.metadata.generation !== undefined) m.generation = old.metadata.generation;
      o.metadata = m;
    }
    o.metadata.resourceVersion = old.metadata.resourceVersion;
    this.check(def, o, false);
    if (o.metadata.deletionTimestamp && !(o.metadata.finalizers ?? []).length) {
      return this.store.commit(def, 'DELETED', o, old);
    }
    // A write that changes nothing is not a change: same resourceVersion, no watch event.
    if (sameContent(o, old)) return old;
    return this.store.commit(def, 'MODIFIED', o, old);
  }

  /** DELETE: with finalizers the object only gets a deletionTimestamp until they are removed. */
  delete(def: ResourceDef, ns: string, name: string, options?: Obj): Obj {
    const old = this.existing(def, ns, name);
    const pre = options?.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid) throw conflict(def, name);
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) throw conflict(def, name);
    if ((old.metadata.finalizers ?? []).length) {
      if (old.metadata.deletionTimestamp) return old;
      const o = structuredClone(old);
      o.metadata.deletionTimestamp = timestamp();
      o.metadata.deletionGracePeriodSeconds = 0;
      return this.store.commit(def, 'MODIFIED', o, old);
    }
    this.store.commit(def, 'DELETED', structuredClone(old), old);
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, ...(def.group ? { group: def.group } : {}), kind: def.plural, uid: old.metadata.uid },
    };
  }
}
