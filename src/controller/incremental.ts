// Desired state kept up to date as objects change: the same answer as
// desiredState(objects, node) (desired-state.ts, the reference), at a cost
// per change that does not grow with the number of Nodes. Nodes live in a
// NodeIndex (node-index.ts), which re-derives only the Nodes that changed;
// BGPPeers and Secrets are few and are held as lists, each BGPPeer checked
// once per object. Feed it BGPPeers and Secrets (setBgpPeers, setSecrets)
// and Nodes whole (replaceNodes) or one at a time (putNode/deleteNode:
// informer events, and the reconciler's patches of the YAML source's Node
// list); set takes a whole object set (tests).

import type { DesiredState, DesiredStateOptions } from './desired-state.js';
import { desiredStateOf } from './desired-state.js';
import { listedSpeakers, peerSelector, speakerCount } from './election.js';
import { NodeIndex } from './node-index.js';
import type { BGPPeer, Node, ObjectSet, Secret } from './resources.js';
import { formatSelector } from './selector.js';
import { checkPeer } from './validate.js';

export class DesiredStateEngine {
  private readonly index = new NodeIndex();
  private bgpPeers: readonly BGPPeer[] = [];
  private secrets: readonly Secret[] = [];
  private readonly checked = new WeakMap<object, { index: number; result: ReturnType<typeof checkPeer> }>();

  constructor(
    private readonly nodeName: string,
    private readonly options: DesiredStateOptions = {},
  ) {}

  /** The whole object set; Nodes equal to the ones held cost a comparison each and nothing more. */
  set(objects: ObjectSet): void {
    this.bgpPeers = objects.bgpPeers ?? [];
    this.secrets = objects.secrets ?? [];
    this.index.replace(objects.nodes ?? []);
  }

  setBgpPeers(peers: readonly BGPPeer[]): void {
    this.bgpPeers = peers;
  }

  setSecrets(secrets: readonly Secret[]): void {
    this.secrets = secrets;
  }

  /** The whole Node set (start, or a switch of source). */
  replaceNodes(nodes: readonly Node[]): void {
    this.index.replace(nodes);
  }

  /** One Node added or changed. */
  putNode(node: Node): void {
    this.index.put(node);
  }

  deleteNode(name: string): void {
    this.index.delete(name);
  }

  /** The Node objects held, in no particular order. */
  nodes(): IterableIterator<Node> {
    return this.index.nodes();
  }

  get nodeCount(): number {
    return this.index.size;
  }

  /** desiredState of the objects held. */
  compute(): DesiredState {
    const state = desiredStateOf(
      { bgpPeers: this.bgpPeers, secrets: this.secrets, nodes: this.index, checkPeer: (p, i = 0) => this.checkPeer(p, i) },
      this.nodeName,
      this.options,
    );
    this.index.prune();
    return state;
  }

  /**
   * The speakers of a BGPPeer among the Nodes held, sorted (for status):
   * spec.localSpeakers, else the rendezvous choice among Ready Nodes matching
   * nodeSelector (none when the selector does not parse), as electSpeakers.
   */
  electedSpeakers(peer: BGPPeer): string[] {
    const listed = listedSpeakers(peer);
    if (listed.length > 0) return listed.sort();
    let selector;
    try {
      selector = peerSelector(peer);
    } catch {
      return [];
    }
    return [...this.index.elect(peer.metadata?.name ?? '', selector, formatSelector(selector), speakerCount(peer))];
  }

  /** checkPeer, once per BGPPeer object and position (objects are replaced, never changed in place). */
  private checkPeer(peer: BGPPeer, index: number): ReturnType<typeof checkPeer> {
    if (typeof peer !== 'object' || peer === null) return checkPeer(peer, index);
    const hit = this.checked.get(peer);
    if (hit && hit.index === index) return hit.result;
    const result = checkPeer(peer, index);
    this.checked.set(peer, { index, result });
    return result;
  }
}
