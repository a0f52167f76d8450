// Which Node claims each pod CIDR, patched one Node at a time: the file
// source finds the prefixes that two Nodes claim from it without looking at
// the other Nodes (file-source.ts, NodeChecks).
//
// IPv4 CIDRs sit in an Ipv4PrefixMap (typed arrays keyed by address and
// length, no object per claim) from prefix to owner number. IPv6 CIDRs go
// in a Map by text.

import { ABSENT, Ipv4PrefixMap } from '../bgp/prefix-map.js';
import { ipv4CidrAddress, type CIDR } from './ip.js';

/** The owner number of a prefix claimed by more than one owner; the claimants are in `contested`. */
const CONTESTED = -2;

export class ClaimIndex<T extends object> {
  private readonly v4: Ipv4PrefixMap;
  /** Owner -> its number (its place in `byId`); numbers of forgotten owners are reused. */
  private readonly ids = new Map<T, number>();
  private readonly byId: (T | undefined)[] = [];
  private readonly freeIds: number[] = [];
  /** IPv6 prefixes by text: the owner, or CONTESTED. */
  private readonly others = new Map<string, T | typeof CONTESTED>();
  private readonly claimants = new Map<string, T[]>();

  /** `capacity`: starting slots of the IPv4 table (tests use small ones). */
  constructor(capacity?: number) {
    this.v4 = new Ipv4PrefixMap(capacity);
  }

  /** Prefixes (canonical text) claimed by more than one owner, each with its claimants in the order they claimed. */
  get contested(): ReadonlyMap<string, readonly T[]> {
    return this.claimants;
  }

  /** The one owner of a prefix; undefined when none or several claim it. */
  owner(cidr: CIDR): T | undefined {
    if (cidr.family === 'ipv4') {
      const id = this.v4.get(ipv4CidrAddress(cidr), cidr.length);
      return id === ABSENT || id === CONTESTED ? undefined : this.byId[id];
    }
    const v = this.others.get(cidr.text);
    return v === CONTESTED ? undefined : v;
  }

  /** Room for `more` IPv4 claims beyond those held, made at once (a Node with 100,000 pod CIDRs). */
  reserve(more: number): void {
    this.v4.reserve(this.v4.size + more);
  }

  /** `owner` claims `cidr`; claiming one prefix twice is one claim. */
  claim(cidr: CIDR, owner: T): void {
    if (cidr.family !== 'ipv4') {
      const had = this.others.get(cidr.text);
      if (had === undefined) this.others.set(cidr.text, owner);
      else if (had !== owner) this.contest(cidr.text, had, owner, () => this.others.set(cidr.text, CONTESTED));
      return;
    }
    const id = this.idOf(owner);
    const addr = ipv4CidrAddress(cidr);
    const had = this.v4.get(addr, cidr.length);
    if (had === ABSENT) this.v4.set(addr, cidr.length, id);
    else if (had !== id) this.contest(cidr.text, had === CONTESTED ? CONTESTED : this.byId[had]!, owner, () => this.v4.set(addr, cidr.length, CONTESTED));
  }

  /** `owner` no longer claims `cidr` (nothing happens if it did not). */
  release(cidr: CIDR, owner: T): void {
    const text = cidr.text;
    if (cidr.family !== 'ipv4') {
      const had = this.others.get(text);
      if (had === owner) this.others.delete(text);
      else if (had === CONTESTED) {
        const left = this.uncontest(text, owner);
        if (left !== undefined) this.others.set(text, left);
      }
      return;
    }
    const id = this.ids.get(owner);
    if (id === undefined) return;
    const addr = ipv4CidrAddress(cidr);
    const had = this.v4.get(addr, cidr.length);
    if (had === id) this.v4.delete(addr, cidr.length);
    else if (had === CONTESTED) {
      const left = this.uncontest(text, owner);
      if (left !== undefined) this.v4.set(addr, cidr.length, this.idOf(left));
    }
  }

  /** `owner` claims nothing any more (the caller released all its claims): its number may be reused. */
  forget(owner: T): void {
    const id = this.ids.get(owner);
    if (id === undefined) return;
    this.ids.delete(owner);
    this.byId[id] = undefined;
    this.freeIds.push(id);
  }

  clear(): void {
    this.v4.clear();
    this.ids.clear();
    this.byId.length = 0;
    this.freeIds.length = 0;
    this.others.clear();
    this.claimants.clear();
  }

  private contest(text: string, had: T | typeof CONTESTED, owner: T, mark: () => void): void {
    if (had !== CONTESTED) {
      this.claimants.set(text, [had, owner]);
      mark();
      return;
    }
    const list = this.claimants.get(text)!;
    if (!list.includes(owner)) list.push(owner);
  }

  /** Takes `owner` off a contested prefix; returns the only claimant left, if one is. */
  private uncontest(text: string, owner: T): T | undefined {
    const list = this.claimants.get(text)!;
    const kept = list.filter((c) => c !== owner);
    if (kept.length > 1) {
      this.claimants.set(text, kept);
      return undefined;
    }
    this.claimants.delete(text);
    return kept[0];
  }

  private idOf(owner: T): number {
    let id = this.ids.get(owner);
    if (id === undefined) {
      id = this.freeIds.pop() ?? this.byId.length;
      this.ids.set(owner, id);
      this.byId[id] = owner;
    }
    return id;
  }
}
