// Which Node claims each pod CIDR, patched one Node at a time: the file
// source finds the prefixes that two Nodes claim from it without looking at
// the other Nodes (file-source.ts, NodeChecks).
//
// IPv4 CIDRs sit in an open-addressing hash table on typed arrays keyed by
// address and length: 9 octets a slot and no object per claim, where a Map
// keyed by the prefix text holds about 37 octets an entry and, growing to
// 100,000 entries, leaves as much again in discarded tables for the garbage
// collector. IPv6 CIDRs go in a Map by text.

import { ipv4CidrAddress, type CIDR } from './ip.js';

const EMPTY = -1;
/** The owner slot of a prefix claimed by more than one owner; the claimants are in `contested`. */
const CONTESTED = -1;

export class ClaimIndex<T extends object> {
  // Linear probing; a slot is free when its length is EMPTY.
  private addrs: Int32Array;
  private lengths: Int8Array;
  private owners: Int32Array;
  private mask: number;
  private size = 0;
  /** Owner -> its number in `owners`; numbers of forgotten owners are reused. */
  private readonly ids = new Map<T, number>();
  private readonly byId: (T | undefined)[] = [];
  private readonly freeIds: number[] = [];
  /** IPv6 prefixes by text: the owner, or CONTESTED. */
  private readonly others = new Map<string, T | typeof CONTESTED>();
  private readonly claimants = new Map<string, T[]>();

  /** `capacity`: starting slots, rounded up to a power of two (tests use small ones). */
  constructor(capacity = 1024) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.addrs = new Int32Array(cap);
    this.lengths = new Int8Array(cap).fill(EMPTY);
    this.owners = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** Prefixes (canonical text) claimed by more than one owner, each with its claimants in the order they claimed. */
  get contested(): ReadonlyMap<string, readonly T[]> {
    return this.claimants;
  }

  /** The one owner of a prefix; undefined when none or several claim it. */
  owner(cidr: CIDR): T | undefined {
    if (cidr.family === 'ipv4') {
      const at = this.find(ipv4CidrAddress(cidr), cidr.length);
      if (at < 0) return undefined;
      const id = this.owners[at]!;
      return id === CONTESTED ? undefined : this.byId[id];
    }
    const v = this.others.get(cidr.text);
    return v === CONTESTED ? undefined : v;
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
    const at = this.find(addr, cidr.length);
    if (at < 0) {
      this.insert(addr, cidr.length, id);
      return;
    }
    const had = this.owners[at]!;
    if (had !== id) this.contest(cidr.text, had === CONTESTED ? CONTESTED : this.byId[had]!, owner, () => (this.owners[at] = CONTESTED));
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
    const at = this.find(ipv4CidrAddress(cidr), cidr.length);
    if (id === undefined || at < 0) return;
    const had = this.owners[at]!;
    if (had === id) this.remove(at);
    else if (had === CONTESTED) {
      const left = this.uncontest(text, owner);
      if (left !== undefined) this.owners[at] = this.idOf(left);
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
    this.lengths.fill(EMPTY);
    this.size = 0;
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

  private home(addr: number, length: number): number {
    // murmur3's finaliser over address and length: /24s that differ in one octet spread over the table.
    let h = addr ^ Math.imul(length, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }

  /** The slot of a prefix, or -1. */
  private find(addr: number, length: number): number {
    const { addrs, lengths, mask } = this;
    for (let i = this.home(addr, length); ; i = (i + 1) & mask) {
      const l = lengths[i]!;
      if (l === EMPTY) return -1;
      if (l === length && addrs[i] === addr) return i;
    }
  }

  private insert(addr: number, length: number, id: number): void {
    // At most 80% full: linear probing stays short.
    if ((this.size + 1) * 5 > (this.mask + 1) * 4) this.grow();
    const { lengths, mask } = this;
    let i = this.home(addr, length);
    while (lengths[i] !== EMPTY) i = (i + 1) & mask;
    this.addrs[i] = addr;
    lengths[i] = length;
    this.owners[i] = id;
    this.size++;
  }

  /** Empties slot `at`, moving later entries of its probe run back so every entry stays reachable from its home. */
  private remove(at: number): void {
    const { addrs, lengths, owners, mask } = this;
    let hole = at;
    for (let j = (at + 1) & mask; lengths[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(addrs[j]!, lengths[j]!);
      // The entry at j may move to the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      addrs[hole] = addrs[j]!;
      lengths[hole] = lengths[j]!;
      owners[hole] = owners[j]!;
      hole = j;
    }
    lengths[hole] = EMPTY;
    this.size--;
  }

  private grow(): void {
    const { addrs, lengths, owners } = this;
    const cap = (this.mask + 1) * 2;
    this.addrs = new Int32Array(cap);
    this.lengths = new Int8Array(cap).fill(EMPTY);
    this.owners = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] !== EMPTY) this.insert(addrs[i]!, lengths[i]!, owners[i]!);
    }
  }
}
