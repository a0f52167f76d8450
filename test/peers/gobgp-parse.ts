// Parsers for GoBGP 3.x `gobgp … -j` JSON: `neighbor -j`, `global rib -j`
// and `neighbor <addr> adj-in -j`. Shapes captured from gobgp 3.10:
//   rib: {"10.1.0.0/24":[{"nlri":{"prefix":"10.1.0.0/24"},"age":1795395014,
//          "best":true,"attrs":[{"type":1,"value":0},
//          {"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[65001]}]},
//          {"type":3,"nexthop":"198.18.0.77"}],"stale":false,
//          "source-id":"10.0.0.1","neighbor-ip":"198.18.0.1"}]}
//   IPv6 next hops come in the MP_REACH_NLRI attribute (type 14, RFC 4760):
//          {"type":14,"nexthop":"2001:db8:18::77","afi":2,"safi":1,…}
//   neighbor: state.session_state is the apipb.PeerState enum (6 =
//   ESTABLISHED); capabilities are protobuf Any values, decoded here for the
//   ones tests assert (RFC 4724 graceful restart, RFC 6793 4-octet AS).

export type Origin = 'IGP' | 'EGP' | 'Incomplete';

export interface GobgpPath {
  prefix: string;
  nextHop: string;
  asPath: number[];
  origin?: Origin;
  med?: number;
  localPref?: number;
  /** RFC 1997 communities as "asn:value". */
  communities?: string[];
  best: boolean;
  /** RFC 4724: the sender is restarting and this path is kept as stale. */
  stale: boolean;
  neighborIp?: string;
  sourceId?: string;
  attrs: Array<Record<string, unknown>>;
}

const sessionStates = ['UNKNOWN', 'IDLE', 'CONNECT', 'ACTIVE', 'OPENSENT', 'OPENCONFIRM', 'ESTABLISHED'] as const;
export type GobgpSessionState = (typeof sessionStates)[number];

export interface GobgpGracefulRestartCap {
  flags: number;
  /** R bit (0x8 in the 4-bit flags field, RFC 4724 §3). */
  restartState: boolean;
  /** N bit (RFC 8538). */
  notification: boolean;
  time: number;
  families: Array<{ afi: number; safi: number; flags: number; forwarding: boolean }>;
}

export interface GobgpCapabilities {
  names: string[];
  gracefulRestart?: GobgpGracefulRestartCap;
  fourOctetAs?: number;
  multiprotocol: Array<{ afi: number; safi: number }>;
}

export interface GobgpNeighbor {
  address: string;
  peerAs: number;
  state: GobgpSessionState;
  /** Unix seconds of the last Established transition (GoBGP's "uptime"). */
  uptime?: number;
  /** Unix seconds of the last drop. */
  downtime?: number;
  holdTime?: number;
  routerId?: string;
  received: { ipv4: number; ipv6: number };
  accepted: { ipv4: number; ipv6: number };
  endOfRibReceived: { ipv4: boolean; ipv6: boolean };
  remoteCapabilities: GobgpCapabilities;
  localCapabilities: GobgpCapabilities;
  raw: Record<string, unknown>;
}

type Json = Record<string, any>;

function origin(v: unknown): Origin | undefined {
  return v === 0 ? 'IGP' : v === 1 ? 'EGP' : v === 2 ? 'Incomplete' : undefined;
}

export function parseGobgpPath(p: Json): GobgpPath {
  const attrs: Json[] = Array.isArray(p.attrs) ? p.attrs : [];
  const path: GobgpPath = {
    prefix: p.nlri?.prefix ?? '',
    nextHop: '',
    asPath: [],
    best: p.best === true,
    stale: p.stale === true,
    neighborIp: p['neighbor-ip'],
    sourceId: p['source-id'],
    attrs,
  };
  for (const a of attrs) {
    switch (a.type) {
      case 1:
        path.origin = origin(a.value);
        break;
      case 2:
        for (const seg of a.as_paths ?? []) path.asPath.push(...((seg.asns ?? []) as number[]));
        break;
      case 3:
        path.nextHop = a.nexthop ?? '';
        break;
      case 4:
        path.med = a.metric ?? a.value;
        break;
      case 5:
        path.localPref = a.value;
        break;
      case 8:
        path.communities = ((a.communities ?? []) as number[]).map((c) => `${c >>> 16}:${c & 0xffff}`);
        break;
      case 14:
        if (!path.nextHop) path.nextHop = a.nexthop ?? '';
        break;
      default:
        break;
    }
  }
  return path;
}

/** `gobgp global rib -j` / `adj-in -j`: prefix -> paths. Empty output is []. */
export function parseGobgpRib(text: string): GobgpPath[] {
  const t = text.trim();
  if (t === '' || t === 'null') return [];
  const obj = JSON.parse(t) as Json | Json[];
  const out: GobgpPath[] = [];
  const lists = Array.isArray(obj) ? [obj] : Object.values(obj);
  for (const list of lists) {
    for (const p of (Array.isArray(list) ? list : []) as Json[]) out.push(parseGobgpPath(p));
  }
  return out;
}

/** Minimal protobuf reader: field number -> values (varints as numbers, bytes as Buffers). */
function protoFields(buf: Buffer): Map<number, Array<number | Buffer>> {
  const fields = new Map<number, Array<number | Buffer>>();
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    let value: number | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = varint();
      value = buf.subarray(i, i + len);
      i += len;
    } else if (wire === 5) {
      value = buf.readUInt32LE(i);
      i += 4;
    } else if (wire === 1) {
      value = Number(buf.readBigUInt64LE(i));
      i += 8;
    } else throw new Error(`unsupported wire type ${wire}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const num = (f: Map<number, Array<number | Buffer>>, n: number): number => {
  const v = f.get(n)?.[0];
  return typeof v === 'number' ? v : 0;
};

function family(b: Buffer | undefined): { afi: number; safi: number } {
  if (!b) return { afi: 0, safi: 0 };
  const f = protoFields(b);
  return { afi: num(f, 1), safi: num(f, 2) };
}

export function parseGobgpCapabilities(caps: unknown): GobgpCapabilities {
  const out: GobgpCapabilities = { names: [], multiprotocol: [] };
  for (const c of (Array.isArray(caps) ? caps : []) as Json[]) {
    const name = String(c.type_url ?? '').split('.').pop() ?? '';
    out.names.push(name);
    const value = Buffer.from(String(c.value ?? ''), 'base64');
    try {
      const f = protoFields(value);
      if (name === 'GracefulRestartCapability') {
        // apipb: flags = 1, time = 2, tuples = 3 { family = 1, flags = 2 }
        const flags = num(f, 1);
        out.gracefulRestart = {
          flags,
          restartState: (flags & 0x08) !== 0,
          notification: (flags & 0x04) !== 0,
          time: num(f, 2),
          families: (f.get(3) ?? []).filter(Buffer.isBuffer).map((t) => {
            const tf = protoFields(t);
            const fl = num(tf, 2);
            return { ...family(tf.get(1)?.[0] as Buffer | undefined), flags: fl, forwarding: (fl & 0x80) !== 0 };
          }),
        };
      } else if (name === 'FourOctetASNCapability') {
        out.fourOctetAs = num(f, 1);
      } else if (name === 'MultiProtocolCapability') {
        out.multiprotocol.push(family(f.get(1)?.[0] as Buffer | undefined));
      }
    } catch {
      // An undecodable capability keeps its name; tests can still see it.
    }
  }
  return out;
}

function familyCounts(afiSafis: Json[]): Pick<GobgpNeighbor, 'received' | 'accepted' | 'endOfRibReceived'> {
  const r = { received: { ipv4: 0, ipv6: 0 }, accepted: { ipv4: 0, ipv6: 0 }, endOfRibReceived: { ipv4: false, ipv6: false } };
  for (const a of afiSafis) {
    const afi = a.state?.family?.afi ?? a.config?.family?.afi;
    const key = afi === 1 ? 'ipv4' : afi === 2 ? 'ipv6' : undefined;
    if (!key) continue;
    r.received[key] = a.state?.received ?? 0;
    r.accepted[key] = a.state?.accepted ?? 0;
    r.endOfRibReceived[key] = a.mp_graceful_restart?.state?.end_of_rib_received === true;
  }
  return r;
}

export function parseGobgpNeighbors(text: string): GobgpNeighbor[] {
  const t = text.trim();
  if (t === '' || t === 'null') return [];
  const list = JSON.parse(t) as Json[];
  return list.map((n) => {
    const st = n.state ?? {};
    const stateNum = typeof st.session_state === 'number' ? st.session_state : 0;
    return {
      address: st.neighbor_address ?? n.conf?.neighbor_address ?? '',
      peerAs: st.peer_asn ?? n.conf?.peer_asn ?? 0,
      state: sessionStates[stateNum] ?? 'UNKNOWN',
      uptime: n.timers?.state?.uptime?.seconds,
      downtime: n.timers?.state?.downtime?.seconds,
      holdTime: n.timers?.state?.negotiated_hold_time,
      routerId: st.router_id,
      ...familyCounts(Array.isArray(n.afi_safis) ? n.afi_safis : []),
      remoteCapabilities: parseGobgpCapabilities(st.remote_cap),
      localCapabilities: parseGobgpCapabilities(st.local_cap),
      raw: n,
    };
  });
}
