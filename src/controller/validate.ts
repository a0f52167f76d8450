// Every check of BGPPeer, Secret and Node objects, reached through one entry:
// used offline by `bgp-speaker validate` and `standalone` (validateObjects),
// and by desired-state.ts (checkPeer, resolveSecret, checkNode, selectRoutes),
// so a check is written once. Each problem is one line naming the object and
// the field. Pure: no I/O.
//
// The checks live by concern in validate-peer.ts (BGPPeer fields: AS numbers,
// hold time, graceful restart, selectors), validate-secret.ts (TCP MD5 keys,
// RFC 2385), validate-node.ts (pod CIDRs, next hops, routes) and
// validate-common.ts; this file adds what needs them all: peer-address
// conflicts between BGPPeers and the stable order of problems.

import { problem, type ObjectSet, type Problem } from './resources.js';
import { speakersOf } from './election.js';
import { checkPeer, type CheckedPeer } from './validate-peer.js';
import { checkSecret, resolveSecret } from './validate-secret.js';
import { checkNode, checkNodeLabels, selectRoutes } from './validate-node.js';

export { nameError, show } from './validate-common.js';
export { checkPeer, type CheckedPeer } from './validate-peer.js';
export { checkSecret, resolveSecret } from './validate-secret.js';
export {
  checkNode,
  checkNodeLabels,
  selectRoutes,
  type CheckedNode,
  type OwnedRoute,
} from './validate-node.js';

/** The message of a peer-address conflict; `winner` runs the session on `nodes`. */
export function conflictProblem(loser: string, winner: string, address: string, port: number, nodes: readonly string[]): Problem {
  const where = nodes.length === 1 ? `node ${nodes[0]}` : `nodes ${nodes.join(', ')}`;
  return problem('BGPPeer', loser, 'spec.peerIP',
    `${address} port ${port} is also the peer of BGPPeer ${winner} on ${where}; only ${winner}'s session runs there`);
}

/** Sorts problems and drops repeated lines, so output is stable. */
export function sortProblems(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  const rank = { BGPPeer: 1, Secret: 2, Node: 3, File: 0 } as const;
  return problems
    .filter((p) => (seen.has(p.line) ? false : (seen.add(p.line), true)))
    .sort((a, b) => rank[a.kind] - rank[b.kind] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
}

/**
 * Every problem of a set of objects, independent of which node runs it:
 * each BGPPeer, its Secret, each Secret, each Node, pod CIDRs claimed twice,
 * and two BGPPeers with the same peer address and port on one speaker node
 * (with the Nodes given, for elected speakers).
 */
export function validateObjects(objects: ObjectSet): Problem[] {
  const out: Problem[] = [];
  const peers: CheckedPeer[] = [];
  (objects.bgpPeers ?? []).forEach((p, i) => {
    const r = checkPeer(p, i);
    out.push(...r.problems);
    if (!r.peer) {
      // Report a missing Secret too, so one run lists every problem.
      const ref = (p?.spec as { authPassword?: { secretKeyRef?: { name?: unknown; key?: unknown } } } | undefined)?.authPassword?.secretKeyRef;
      const name = p?.metadata?.name;
      if (typeof name === 'string' && typeof ref?.name === 'string' && ref.name && typeof ref.key === 'string' && ref.key) {
        const s = resolveSecret({ name, secretKeyRef: { name: ref.name, key: ref.key } }, objects.secrets ?? []);
        if (s.problem) out.push(s.problem);
      }
      return;
    }
    const s = resolveSecret(r.peer, objects.secrets ?? []);
    if (s.problem) out.push(s.problem);
    else peers.push(r.peer);
  });
  (objects.secrets ?? []).forEach((s, i) => out.push(...checkSecret(s, i)));
  const nodes = (objects.nodes ?? []).map((n, i) => checkNode(n, i));
  for (const n of nodes) out.push(...n.problems);
  (objects.nodes ?? []).forEach((n, i) => out.push(...checkNodeLabels(n, i)));
  out.push(...selectRoutes(nodes, false).problems);

  // Speakers of each usable peer, then conflicts per node.
  const byNode = new Map<string, CheckedPeer[]>();
  for (const p of peers) {
    for (const node of speakersOf(p, nodes)) {
      const list = byNode.get(node) ?? [];
      list.push(p);
      byNode.set(node, list);
    }
  }
  const conflicts = new Map<string, { loser: string; winner: string; address: string; port: number; nodes: string[] }>();
  for (const node of [...byNode.keys()].sort()) {
    const winners = new Map<string, string>();
    for (const p of [...byNode.get(node)!].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const key = `${p.peerAddress}|${p.peerPort}`;
      const w = winners.get(key);
      if (w === undefined) winners.set(key, p.name);
      else {
        const id = `${p.name}|${w}`;
        const c = conflicts.get(id) ?? { loser: p.name, winner: w, address: p.peerAddress, port: p.peerPort, nodes: [] };
        c.nodes.push(node);
        conflicts.set(id, c);
      }
    }
  }
  for (const c of conflicts.values()) out.push(conflictProblem(c.loser, c.winner, c.address, c.port, c.nodes));
  return sortProblems(out);
}
