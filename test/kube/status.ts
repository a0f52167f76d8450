// Errors of the test API server as Kubernetes metav1.Status objects: the HTTP
// code, the machine-readable reason (NotFound, AlreadyExists, Conflict,
// Invalid, Gone, ...) and the message wording of the real API server.

import type { FieldError } from './openapi-schema.js';
import type { ResourceDef } from './resources.js';

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** "bgppeers.network.openyurt.io" or "nodes": how messages name a resource. */
export function qualified(def: ResourceDef): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

const details = (def: ResourceDef, name: string): Record<string, unknown> => ({ name, ...(def.group ? { group: def.group } : {}), kind: def.plural });

export const notFound = (def: ResourceDef, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(def)} "${name}" not found`, details(def, name));

export const alreadyExists = (def: ResourceDef, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(def)} "${name}" already exists`, details(def, name));

export const conflict = (def: ResourceDef, name: string): ApiError =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(def)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(def, name),
  );

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);

export function invalid(def: ResourceDef, name: string, errors: FieldError[]): ApiError {
  const kind = def.group ? `${def.kind}.${def.group}` : def.kind;
  const list = errors.map((e) => e.message);
  const joined = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
    name,
    ...(def.group ? { group: def.group } : {}),
    kind: def.kind,
    causes: errors.map((e) => ({ reason: e.reason, message: e.message.slice(e.field.length + 2), field: e.field })),
  });
}

export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);
