// A table's IPv4 UPDATEs as a session's initial advertisement writes them:
// a new Adj-RIB-Out taken in the advertiser's batches (FIRST_BATCH routes,
// doubling up to BATCH), each packed with the session's context. Shared by
// the floor sender (which writes them) and the codec bench (which times them).

import { AdjRibOut } from '../../src/bgp/adj-rib-out.js';
import { BATCH, FIRST_BATCH } from '../../src/bgp/advertiser.js';
import type { RouteTable } from '../../src/bgp/routes.js';
import { ChunkWriter, packBatch, type PackContext } from '../../src/bgp/update-packer.js';

export function packInitialTable(table: RouteTable, ctx: PackContext): Buffer[] {
  const rib = new AdjRibOut(table);
  rib.start(['ipv4']);
  const writer = new ChunkWriter();
  const chunks: Buffer[] = [];
  for (let batch = FIRST_BATCH; rib.pendingCount > 0; batch = Math.min(batch * 2, BATCH)) {
    packBatch(rib.take(batch), ctx, writer);
    chunks.push(...writer.flush());
  }
  return chunks;
}
