// What the peer advertises to us. This speaker only advertises, so received
// routes are validated by the codec, counted (for status and the max-prefix
// limit, RFC 4486 §4) and otherwise discarded; only their keys are kept.
// RFC 7606 treat-as-withdraw removes the announced prefixes of the UPDATE.

import type { UpdateMessage } from './wire/types.js';

export class ReceivedRoutes {
  private readonly keys = new Set<string>();
  private readonly eor = new Set<string>();

  get count(): number {
    return this.keys.size;
  }

  /** Families the peer sent End-of-RIB for (RFC 4724 §2). */
  get endOfRibFamilies(): string[] {
    return [...this.eor];
  }

  endOfRib(family: string): void {
    this.eor.add(family);
  }

  apply(update: UpdateMessage): void {
    for (const p of update.withdrawn) this.keys.delete(p.key);
    if (update.mpUnreach) for (const p of update.mpUnreach.withdrawn) this.keys.delete(p.key);
    const announced = update.mpReach ? [...update.nlri, ...update.mpReach.nlri] : update.nlri;
    if (update.treatAsWithdraw) {
      for (const p of announced) this.keys.delete(p.key);
      return;
    }
    for (const p of announced) this.keys.add(p.key);
  }

  clear(): void {
    this.keys.clear();
    this.eor.clear();
  }
}
