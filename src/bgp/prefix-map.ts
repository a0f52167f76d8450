// IPv4 prefix -> a small integer, in an open-addressing hash table on typed
// arrays keyed by address and length: 9 octets a slot, no object per
// entry and nothing for the garbage collector to trace. A Map keyed by the
// prefix text holds about 37 octets an entry on the JS heap and, growing to
// 100,000 entries, leaves as much again in discarded tables. The speaker's
// route table (routes.ts) and the controller's claim index use it.

/** What `get` returns for a prefix that is not in the map. */
export const ABSENT = -1;

/** A free slot's length. */
const EMPTY = -1;

export class Ipv4PrefixMap {
  // Linear probing, at most 80% full; removal moves later entries back
  // (backward shift), so there are no tombstones.
  private addrs: Int32Array;
  private lengths: Int8Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;

  /** `capacity`: starting slots, rounded up to a power of two (tests use small ones). */
  constructor(capacity = 1024) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.addrs = new Int32Array(cap);
    this.lengths = new Int8Array(cap).fill(EMPTY);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The value of a prefix (address with host bits clear, as a signed 32-bit number), or ABSENT. */
  get(addr: number, length: number): number {
    const at = this.find(addr, length);
    return at < 0 ? ABSENT : this.values[at]!;
  }

  /** Sets the value of a prefix, adding it when it is not in the map. `value` must not be ABSENT. */
  set(addr: number, length: number, value: number): void {
    const at = this.find(addr, length);
    if (at >= 0) {
      this.values[at] = value;
      return;
    }
    // At most 80% full: linear probing stays short.
    if ((this.count + 1) * 5 > (this.mask + 1) * 4) this.grow();
    this.put(addr, length, value);
  }

  /**
   * Makes room for `entries` entries in all, at once: a table loaded with
   * 100,000 prefixes then grows once instead of seven times, and leaves no
   * outgrown arrays behind.
   */
  reserve(entries: number): void {
    let cap = this.mask + 1;
    while (entries * 5 > cap * 4) cap *= 2;
    if (cap > this.mask + 1) this.rehash(cap);
  }

  /** Removes a prefix; false when it was not in the map. */
  delete(addr: number, length: number): boolean {
    const at = this.find(addr, length);
    if (at < 0) return false;
    this.remove(at);
    return true;
  }

  clear(): void {
    this.lengths.fill(EMPTY);
    this.count = 0;
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

  /** Adds an entry the map does not have; the caller made room. */
  private put(addr: number, length: number, value: number): void {
    const { lengths, mask } = this;
    let i = this.home(addr, length);
    while (lengths[i] !== EMPTY) i = (i + 1) & mask;
    this.addrs[i] = addr;
    lengths[i] = length;
    this.values[i] = value;
    this.count++;
  }

  /** Empties slot `at`, moving later entries of its probe run back so every entry stays reachable from its home. */
  private remove(at: number): void {
    const { addrs, lengths, values, mask } = this;
    let hole = at;
    for (let j = (at + 1) & mask; lengths[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.home(addrs[j]!, lengths[j]!);
      // The entry at j may move to the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      addrs[hole] = addrs[j]!;
      lengths[hole] = lengths[j]!;
      values[hole] = values[j]!;
      hole = j;
    }
    lengths[hole] = EMPTY;
    this.count--;
  }

  private grow(): void {
    this.rehash((this.mask + 1) * 2);
  }

  private rehash(cap: number): void {
    const { addrs, lengths, values } = this;
    this.addrs = new Int32Array(cap);
    this.lengths = new Int8Array(cap).fill(EMPTY);
    this.values = new Int32Array(cap);
    this.mask = cap - 1;
    this.count = 0;
    for (let i = 0; i < lengths.length; i++) {
      if (lengths[i] !== EMPTY) this.put(addrs[i]!, lengths[i]!, values[i]!);
    }
  }
}
