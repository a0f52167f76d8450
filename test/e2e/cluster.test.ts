// End to end against a real cluster, when KUBECONFIG names one (after
// `kubectl apply -k deploy/` and a BGPPeer): the agents' DaemonSet is ready,
// and every BGPPeer has a status entry per listed speaker and the
// Established condition. Read-only: it changes nothing in the cluster.
// Without KUBECONFIG the tests are skipped, with the reason printed.

import test from 'ava';
import { AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type BGPPeer } from '../../src/controller/resources.js';

const kubeconfig = process.env.KUBECONFIG;
const run = kubeconfig ? test.serial : test.skip;
if (!kubeconfig) console.log('test/e2e: skipped: KUBECONFIG is not set (point it at a cluster with deploy/ applied to run these)');

function kc(): KubeConfig {
  const k = new KubeConfig();
  k.loadFromFile(kubeconfig!);
  return k;
}

run('the bgp-speaker DaemonSet has a ready agent on every scheduled node', async (t) => {
  const apps = kc().makeApiClient(AppsV1Api);
  const ds = await apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: 'bgp-speaker' });
  const st = ds.status!;
  t.true(st.desiredNumberScheduled > 0, 'the DaemonSet runs somewhere');
  t.is(st.numberReady, st.desiredNumberScheduled, `ready ${st.numberReady} of ${st.desiredNumberScheduled}`);
});

run('every BGPPeer has a status entry for each listed speaker and an Established condition', async (t) => {
  const custom = kc().makeApiClient(CustomObjectsApi);
  const list = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as { items: BGPPeer[] };
  // The run needs a BGPPeer (see the top of the file): with none, nothing here would be checked.
  if (list.items.length === 0) {
    t.fail('no BGPPeer in the cluster: apply one (examples/bgppeer.yaml) before running test/e2e');
    return;
  }
  for (const p of list.items) {
    const cond = p.status?.conditions?.find((c) => c.type === 'Established');
    t.truthy(cond, `BGPPeer ${p.metadata.name} has the Established condition`);
    t.log(`${p.metadata.name}: ${cond?.status} ${cond?.reason}: ${cond?.message}`);
    for (const n of p.spec.localSpeakers ?? []) {
      const e = p.status?.speakers?.[n];
      t.truthy(e?.state, `BGPPeer ${p.metadata.name}: speaker ${n} reports a state`);
      t.log(`  ${n}: ${e?.state} since ${e?.lastTransitionTime}${e?.lastError ? ` (${e.lastError})` : ''}`);
    }
  }
});
