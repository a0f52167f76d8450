// The resources the test API server serves: core/v1 nodes, secrets, events and
// namespaces, and the BGPPeer custom resource from its CRD. Each entry carries
// what discovery, routing, validation and printing need.

import { loadCrd, storageVersion, type Crd } from './crd.js';

export interface ResourceDef {
  /** '' for the core group. */
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  /** Writes to the main resource keep status; /status writes change only status. */
  statusSubresource: boolean;
  /** Set for custom resources: schema validation, metadata.generation, printer columns. */
  crd?: Crd;
}

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function coreResources(): ResourceDef[] {
  const core = (plural: string, kind: string, namespaced: boolean, shortNames: string[], statusSubresource: boolean): ResourceDef => ({
    group: '',
    version: 'v1',
    plural,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames,
    verbs: allVerbs,
    statusSubresource,
  });
  return [
    core('namespaces', 'Namespace', false, ['ns'], true),
    core('nodes', 'Node', false, ['no'], true),
    core('secrets', 'Secret', true, [], false),
    core('events', 'Event', true, ['ev'], false),
  ];
}

export function customResource(crd: Crd): ResourceDef {
  const version = storageVersion(crd);
  const names = crd.spec.names;
  return {
    group: crd.spec.group,
    version: version.name,
    plural: names.plural,
    singular: names.singular,
    kind: names.kind,
    listKind: names.listKind,
    namespaced: crd.spec.scope === 'Namespaced',
    shortNames: names.shortNames ?? [],
    verbs: allVerbs,
    statusSubresource: version.subresources?.status !== undefined,
    crd,
  };
}

export function defaultResources(): ResourceDef[] {
  return [...coreResources(), customResource(loadCrd())];
}
