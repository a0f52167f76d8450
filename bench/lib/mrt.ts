// Writes an MRT TABLE_DUMP_V2 file (RFC 6396 §4.3) of IPv4 unicast routes,
// which `gobgp mrt inject global` loads into GoBGP's RIB far faster than one
// `gobgp global rib add` per route. One PEER_INDEX_TABLE (§4.3.1) with one
// peer, then one RIB_IPV4_UNICAST record (§4.3.2) per prefix with one RIB
// entry whose attributes are ORIGIN IGP, an empty AS_PATH (GoBGP prepends
// its own AS on eBGP) and NEXT_HOP (RFC 4271 §5.1).

const MRT_TABLE_DUMP_V2 = 13;
const PEER_INDEX_TABLE = 1;
const RIB_IPV4_UNICAST = 2;

function ipv4(text: string): number[] {
  return text.split('.').map(Number);
}

function record(subtype: number, body: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(Math.floor(Date.now() / 1000), 0);
  h.writeUInt16BE(MRT_TABLE_DUMP_V2, 4);
  h.writeUInt16BE(subtype, 6);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

/**
 * `gobgp mrt inject` (GoBGP 3.10) may end its stream before the last few
 * hundred records reach the daemon, so the first `pad` routes are repeated at
 * the end: re-adding a path with the same attributes changes nothing.
 */
export function mrtTableDump(
  routeList: readonly { prefix: string; nextHop: string }[],
  peer: { routerId: string; address: string; as: number },
  pad = 4096,
): Buffer {
  const routes = [...routeList, ...routeList.slice(0, pad)];
  const out: Buffer[] = [];
  // PEER_INDEX_TABLE: collector ID, view name length 0, peer count 1,
  // peer entry: type 0x02 (IPv4 address, 4-octet AS), BGP ID, address, AS.
  const pit = Buffer.from([...ipv4(peer.routerId), 0, 0, 0, 1, 0x02, ...ipv4(peer.routerId), ...ipv4(peer.address), 0, 0, 0, 0]);
  pit.writeUInt32BE(peer.as, pit.length - 4);
  out.push(record(PEER_INDEX_TABLE, pit));
  let seq = 0;
  for (const r of routes) {
    const [addr, lenText] = r.prefix.split('/') as [string, string];
    const len = Number(lenText);
    const octets = ipv4(addr).slice(0, (len + 7) >> 3);
    const nh = ipv4(r.nextHop);
    // ORIGIN (well-known transitive, 1 octet), AS_PATH empty, NEXT_HOP.
    const attrs = [0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, ...nh];
    const body = Buffer.alloc(4 + 1 + octets.length + 2 + 2 + 4 + 2 + attrs.length);
    let p = body.writeUInt32BE(seq++, 0);
    body[p++] = len;
    for (const o of octets) body[p++] = o;
    p = body.writeUInt16BE(1, p); // entry count
    p = body.writeUInt16BE(0, p); // peer index
    p = body.writeUInt32BE(Math.floor(Date.now() / 1000), p); // originated time
    p = body.writeUInt16BE(attrs.length, p);
    Buffer.from(attrs).copy(body, p);
    out.push(record(RIB_IPV4_UNICAST, body));
  }
  return Buffer.concat(out);
}
