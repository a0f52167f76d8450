// Loads crds/network.openyurt.io_bgppeers.yaml so that the test API server
// validates, prints and discovers BGPPeers from the same definition users
// install, and offers validateBGPPeer() to the CRD tests.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { celRules } from './cel-rules.js';
import { prune, validate, type FieldError, type Schema } from './openapi-schema.js';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: PrinterColumn[];
  schema: { openAPIV3Schema: Schema };
}

export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[] };
    versions: CrdVersion[];
  };
}

export const bgpPeerCrdPath = fileURLToPath(new URL('../../crds/network.openyurt.io_bgppeers.yaml', import.meta.url));

export function loadCrd(path = bgpPeerCrdPath): Crd {
  return parse(readFileSync(path, 'utf8')) as Crd;
}

/** The served storage version of a CRD. */
export function storageVersion(crd: Crd): CrdVersion {
  const v = crd.spec.versions.find((x) => x.storage && x.served);
  if (!v) throw new Error(`${crd.metadata.name} has no served storage version`);
  return v;
}

/**
 * Prunes unknown fields from obj (in place, as the API server does on write)
 * and returns the schema errors; an empty list means the API server accepts it.
 */
export function validateCustomResource(crd: Crd, obj: unknown): FieldError[] {
  const schema = storageVersion(crd).schema.openAPIV3Schema;
  prune(schema, obj);
  return validate(schema, obj, celRules);
}

/** Validates a BGPPeer (a deep copy: the argument is not pruned). */
export function validateBGPPeer(obj: unknown): FieldError[] {
  return validateCustomResource(loadCrd(), structuredClone(obj));
}
