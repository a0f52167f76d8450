// Per-change cost of the controller-to-wire path in one process, no API
// server and no file: N Nodes through the Reconciler and a Speaker to the
// lab collector on loopback, then 50 single-Node changes cycling a Node
// joining, a relabel out of the selector and a pod CIDR change. Prints the
// latency from the change to the UPDATE at the collector (p50, max) and
// the CPU per change. Changes go in as the agent's informers hand them over
// (one Node into the reconciler's engine); with --full as a whole new object
// set, as the YAML source does. Usage: node dist/bench/per-change.js [N] [--full]

import { Speaker } from '../src/bgp/index.js';
import { Reconciler } from '../src/controller/reconciler.js';
import { Collector } from '../src/lab/index.js';
import { silentLogger } from '../src/log.js';
import type { Node, ObjectSet, BGPPeer } from '../src/controller/resources.js';

const N = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 5000);
const full = process.argv.includes('--full');
const log = silentLogger();
const mkNode = (i: number, cidr = `10.${(i >> 8) & 255}.${i & 255}.0/24`): Node => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name: `node-${i}`, labels: { lan: 'a' } },
  spec: { podCIDR: cidr, podCIDRs: [cidr] },
  status: { addresses: [{ type: 'InternalIP', address: `127.2.${(i >> 8) & 255}.${i & 255}` }], conditions: [{ type: 'Ready', status: 'True' }] },
} as unknown as Node);
const collector = await Collector.start({ address: '127.0.0.1', port: 0, localAs: 65001, routerId: '127.0.0.1', peers: [{ address: '127.2.0.0', as: 65010 }], log });
const peer = { apiVersion: 'network.openyurt.io/v1alpha1', kind: 'BGPPeer', metadata: { name: 'p' }, spec: { localSpeakers: ['node-0'], localAsNumber: 65010, peerIP: '127.0.0.1', peerPort: collector.address().port, peerAsNumber: 65001, nodeSelector: 'lan=a' } } as unknown as BGPPeer;
const nodes = Array.from({ length: N }, (_, i) => mkNode(i));
const speaker = new Speaker({ log });
const rec = new Reconciler({ speaker, nodeName: 'node-0', log });
let objects: ObjectSet = { bgpPeers: [peer], secrets: [], nodes };
rec.update(objects);
await collector.waitFor((c) => c.routeCount() === N, 30000, 'all routes');
const lat: number[] = [];
const cpu0 = process.cpuUsage();
for (let k = 0; k < 50; k++) {
  const i = 1 + k;
  let changed: Node;
  let at = i;
  if (k % 3 === 0) {
    changed = mkNode(N + k); // a Node joins
    at = -1;
  } else if (k % 3 === 1) changed = { ...nodes[i]!, metadata: { ...nodes[i]!.metadata, labels: { lan: 'b' } } } as Node; // relabel out
  else changed = mkNode(i, `10.${100 + ((i >> 8) & 255)}.${i & 255}.0/24`); // pod CIDR change
  if (full) {
    const next = [...objects.nodes];
    if (at < 0) next.push(changed);
    else next[at] = changed;
    objects = { ...objects, nodes: next };
  }
  const t = performance.now();
  if (full) rec.update(objects);
  else {
    rec.engine.putNode(changed);
    rec.changed();
  }
  await new Promise((r) => collector.once('update', r));
  lat.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);
lat.sort((a, b) => a - b);
console.log(`N=${N}${full ? ' (whole set per change)' : ''} per change: p50 ${lat[25]!.toFixed(1)} ms, max ${lat[49]!.toFixed(1)} ms, CPU ${((cpu.user + cpu.system) / 1000 / 50).toFixed(1)} ms`);
await speaker.stop('deconfigure');
await collector.close();
