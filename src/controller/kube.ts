// The Kubernetes API calls the agent makes, behind one small interface so
// status.ts and events.ts can be tested against a fake: paged lists of
// BGPPeers, Nodes and kube-system Secrets, JSON merge patches (RFC 7386) of
// bgppeers/status, and get/create/patch of core/v1 Events. Built from a
// KubeConfig with @kubernetes/client-node; nothing here keeps state.

import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, SECRET_NAMESPACE, VERSION } from './resources.js';

/** Items per page of a list; client-go's reflector uses 500 too. */
export const PAGE_SIZE = 500;

export interface KubeApi {
  listBGPPeers(): Promise<KubernetesListObject<KubernetesObject>>;
  /** fieldSelector e.g. `metadata.name=node-1`. */
  listNodes(fieldSelector?: string): Promise<KubernetesListObject<KubernetesObject>>;
  listSecrets(): Promise<KubernetesListObject<KubernetesObject>>;
  /** JSON merge patch of bgppeers/<name>/status; resolves to the patched object. */
  patchBGPPeerStatus(name: string, body: object): Promise<unknown>;
  getEvent(namespace: string, name: string): Promise<CoreV1Event>;
  createEvent(namespace: string, body: CoreV1Event): Promise<CoreV1Event>;
  /** JSON merge patch of an Event. */
  patchEvent(namespace: string, name: string, body: object): Promise<CoreV1Event>;
}

/** The HTTP status of an error thrown by client-node (ApiException.code), if any. */
export function statusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** A short description of an API error for logs: status and the Status message, never the request. */
export function describeApiError(err: unknown): string {
  const code = statusCode(err);
  const body = (err as { body?: unknown })?.body;
  let message: string | undefined;
  if (typeof body === 'string') {
    try {
      message = (JSON.parse(body) as { message?: string }).message;
    } catch {
      message = body.slice(0, 200);
    }
  } else if (typeof body === 'object' && body !== null) {
    message = (body as { message?: string }).message;
  }
  const base = message ?? (err instanceof Error ? err.message : String(err));
  return code !== undefined ? `HTTP ${code}: ${base}` : base;
}

type Page = KubernetesListObject<KubernetesObject>;

/**
 * Lists all pages (limit/continue) into one list carrying the first page's
 * resourceVersion: the snapshot the pages were served from, from which a
 * watch continues.
 */
export async function listAllPages(fetchPage: (cont: string | undefined) => Promise<Page>): Promise<Page> {
  const first = await fetchPage(undefined);
  const items = [...(first.items ?? [])];
  let cont = first.metadata?._continue;
  while (cont) {
    const page = await fetchPage(cont);
    items.push(...(page.items ?? []));
    cont = page.metadata?._continue;
  }
  return { ...first, items, metadata: { ...first.metadata, _continue: undefined } };
}

const mergePatch = () => setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The real API, through client-node. */
export function kubeApi(kc: KubeConfig): KubeApi {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  return {
    listBGPPeers: () =>
      listAllPages(
        (cont) =>
          custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, limit: PAGE_SIZE, ...(cont ? { _continue: cont } : {}) }) as Promise<Page>,
      ),
    listNodes: (fieldSelector) =>
      listAllPages(
        (cont) =>
          core.listNode({ limit: PAGE_SIZE, ...(fieldSelector ? { fieldSelector } : {}), ...(cont ? { _continue: cont } : {}) }) as Promise<Page>,
      ),
    listSecrets: () =>
      listAllPages(
        (cont) => core.listNamespacedSecret({ namespace: SECRET_NAMESPACE, limit: PAGE_SIZE, ...(cont ? { _continue: cont } : {}) }) as Promise<Page>,
      ),
    patchBGPPeerStatus: (name, body) =>
      custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: PLURAL, name, body }, mergePatch()),
    getEvent: (namespace, name) => core.readNamespacedEvent({ namespace, name }),
    createEvent: (namespace, body) => core.createNamespacedEvent({ namespace, body }),
    patchEvent: (namespace, name, body) => core.patchNamespacedEvent({ namespace, name, body }, mergePatch()),
  };
}
