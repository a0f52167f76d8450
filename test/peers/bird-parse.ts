// Parsers for `birdc` output of BIRD 2.0.12: `show route all` and
// `show protocols all <name>`. Tolerant: unknown lines are ignored, so a
// newer BIRD adding attributes does not break tests.
//
// Route lines look like (captured from BIRD 2.0.12):
//   10.1.0.0/24          unreachable [p1 00:47:21.205 from 127.0.0.1] * (100) [AS65001i]
//   	Type: BGP univ
//   	BGP.origin: IGP
//   	BGP.as_path: 65001
//   	BGP.next_hop: 192.0.2.77
//   	BGP.med: 5
//   	BGP.local_pref: 100
//   	BGP.community: (65001,7)
// A second route for the same prefix starts with blanks instead of the
// prefix. "(100s)" marks an RFC 9494 LLGR-stale route. Plain RFC 4724 stale
// routes are NOT marked in `show route` by BIRD 2.0.12; bird.ts derives that
// from the protocol's "Neighbor graceful restart active" line.

export type Origin = 'IGP' | 'EGP' | 'Incomplete';

export interface BirdRoute {
  prefix: string;
  /** BGP.next_hop (first address), or the gateway for non-BGP routes. */
  nextHop: string;
  /** Second address of an IPv6 BGP.next_hop (link-local), if any. */
  nextHopLinkLocal?: string;
  /** AS_PATH flattened (AS_SET members included in order). */
  asPath: number[];
  origin?: Origin;
  localPref?: number;
  med?: number;
  /** RFC 1997 communities as "asn:value" strings. */
  communities?: string[];
  largeCommunities?: string[];
  /** unicast | unreachable | blackhole | … as BIRD prints it. */
  dest: string;
  /** Chosen as best route ("*"). */
  primary: boolean;
  /** LLGR stale (from "(100s)") or, set by bird.ts, plain GR stale. */
  stale: boolean;
  fromProtocol: string;
  /** Peer address after "from", when BIRD prints it. */
  from?: string;
  table: string;
  /** Every "Key: value" attribute line as printed. */
  attributes: Record<string, string>;
}

const routeLine = /^(\S+)?\s+(\S+)\s+\[(\S+)\s+([^\]]*)\]\s*([*!])?\s*\((\d+)([^)]*)\)\s*(?:\[([^\]]*)\])?/;

function parseAsPath(s: string): number[] {
  return (s.match(/\d+/g) ?? []).map(Number);
}

function parseOrigin(s: string): Origin | undefined {
  const v = s.trim().toLowerCase();
  if (v === 'igp') return 'IGP';
  if (v === 'egp') return 'EGP';
  if (v === 'incomplete') return 'Incomplete';
  return undefined;
}

export function parseBirdRoutes(text: string): BirdRoute[] {
  const routes: BirdRoute[] = [];
  let table = '';
  let prefix = '';
  let cur: BirdRoute | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || /^BIRD [\d.]+ ready\.$/.test(line)) continue;
    const t = /^Table (\S+):$/.exec(line);
    if (t) {
      table = t[1];
      cur = undefined;
      continue;
    }
    if (line.startsWith('\t')) {
      if (!cur) continue;
      const body = line.trim();
      const via = /^via (\S+)/.exec(body);
      if (via && !cur.nextHop) {
        cur.nextHop = via[1];
        continue;
      }
      const kv = /^([^:]+):\s*(.*)$/.exec(body);
      if (!kv) continue;
      const [, key, value] = kv;
      cur.attributes[key] = value;
      switch (key) {
        case 'BGP.origin':
          cur.origin = parseOrigin(value);
          break;
        case 'BGP.as_path':
          cur.asPath = parseAsPath(value);
          break;
        case 'BGP.next_hop': {
          const [a, b] = value.trim().split(/\s+/);
          cur.nextHop = a ?? '';
          if (b) cur.nextHopLinkLocal = b;
          break;
        }
        case 'BGP.local_pref':
          cur.localPref = Number(value);
          break;
        case 'BGP.med':
          cur.med = Number(value);
          break;
        case 'BGP.community':
          cur.communities = [...value.matchAll(/\((\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}`);
          break;
        case 'BGP.large_community':
          cur.largeCommunities = [...value.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((m) => `${m[1]}:${m[2]}:${m[3]}`);
          break;
        default:
          break;
      }
      continue;
    }
    const m = routeLine.exec(line);
    if (!m) continue;
    if (m[1]) prefix = m[1];
    const bracket = m[4].trim();
    const from = /\bfrom (\S+)/.exec(bracket);
    const flags = m[7] ?? '';
    const summary = m[8] ?? '';
    // Summary like "AS65001i": path origin letter i / e / ?.
    const originLetter = /([ie?])$/.exec(summary.trim())?.[1];
    cur = {
      prefix,
      nextHop: '',
      asPath: [],
      origin: originLetter === 'i' ? 'IGP' : originLetter === 'e' ? 'EGP' : originLetter === '?' ? 'Incomplete' : undefined,
      dest: m[2],
      primary: m[5] === '*',
      stale: flags.includes('s'),
      fromProtocol: m[3],
      from: from?.[1],
      table,
      attributes: {},
    };
    routes.push(cur);
  }
  return routes;
}

export interface BirdChannelInfo {
  state: string;
  table?: string;
  imported?: number;
  exported?: number;
  preferred?: number;
}

export interface BirdProtocol {
  name: string;
  proto: string;
  /** up | start | down | … (BIRD's protocol state column). */
  state: string;
  /** Established | Active | Connect | OpenSent | … from "BGP state:". */
  bgpState: string;
  since: string;
  /** The Info column: BGP state and, after it, the last error if any. */
  info: string;
  lastError?: string;
  neighborAddress?: string;
  neighborAs?: number;
  localAs?: number;
  neighborId?: string;
  /** "external multihop AS4" etc. */
  session?: string;
  /** Negotiated hold time (the part after "/" in "Hold timer: 183.7/240"). */
  holdTime?: number;
  /** True while the neighbor is in RFC 4724 restart: its routes are stale. */
  neighborGracefulRestartActive: boolean;
  /** Seconds left on the restart timer, when running. */
  restartTimer?: number;
  /** Summed over channels. */
  routes?: { imported: number; exported: number };
  channels: Record<string, BirdChannelInfo>;
  raw: string;
}

export function parseBirdProtocol(text: string, name: string): BirdProtocol | undefined {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const headIdx = lines.findIndex((l) => l.split(/\s+/)[0] === name && !l.startsWith(' '));
  if (headIdx < 0) return undefined;
  const cols = lines[headIdx].trim().split(/\s+/);
  const info = lines[headIdx].trim().split(/\s+/).slice(5).join(' ');
  const p: BirdProtocol = {
    name: cols[0],
    proto: cols[1] ?? '',
    state: cols[3] ?? '',
    since: cols[4] ?? '',
    info,
    bgpState: '',
    neighborGracefulRestartActive: false,
    channels: {},
    raw: text,
  };
  let channel: BirdChannelInfo | undefined;
  let total: { imported: number; exported: number } | undefined;
  for (const l of lines.slice(headIdx + 1)) {
    if (l.trim() !== '' && !l.startsWith(' ')) break;
    const body = l.trim();
    const ch = /^Channel (\S+)$/.exec(body);
    if (ch) {
      channel = { state: '' };
      p.channels[ch[1]] = channel;
      continue;
    }
    if (body === 'Neighbor graceful restart active') p.neighborGracefulRestartActive = true;
    const kv = /^([A-Za-z][A-Za-z0-9 -]*):\s+(.*)$/.exec(body);
    if (!kv) continue;
    const [, key, value] = kv;
    if (channel) {
      if (key === 'State') channel.state = value;
      else if (key === 'Table') channel.table = value;
      else if (key === 'Routes') {
        const num = (w: string): number => Number(new RegExp(`(\\d+) ${w}`).exec(value)?.[1] ?? 0);
        channel.imported = num('imported');
        channel.exported = num('exported');
        channel.preferred = num('preferred');
        total ??= { imported: 0, exported: 0 };
        total.imported += channel.imported;
        total.exported += channel.exported;
      }
      continue;
    }
    switch (key) {
      case 'BGP state':
        p.bgpState = value;
        break;
      case 'Last error':
        p.lastError = value;
        break;
      case 'Neighbor address':
        p.neighborAddress = value;
        break;
      case 'Neighbor AS':
        p.neighborAs = Number(value);
        break;
      case 'Local AS':
        p.localAs = Number(value);
        break;
      case 'Neighbor ID':
        p.neighborId = value;
        break;
      case 'Session':
        p.session = value;
        break;
      case 'Hold timer': {
        const h = /\/(\d+)/.exec(value);
        if (h) p.holdTime = Number(h[1]);
        break;
      }
      case 'Restart timer': {
        const r = /^([\d.]+)/.exec(value);
        if (r) p.restartTimer = Number(r[1]);
        break;
      }
      default:
        break;
    }
  }
  if (total) p.routes = total;
  return p;
}

/**
 * BIRD's "since" timestamps ("HH:MM:SS.mmm") of one session, compared: BIRD
 * may touch it once more in the millisecond after the session comes up, and
 * a real reset cannot come back within a second (our reconnect backoff
 * starts at 2.5 s), so within one second is the same session.
 */
export function sameSessionSince(a: string, b: string): boolean {
  const ms = (t: string): number => {
    const m = /(\d+):(\d+):(\d+)(?:\.(\d+))?/.exec(t);
    return m ? ((+m[1]! * 60 + +m[2]!) * 60 + +m[3]!) * 1000 + +(m[4] ?? '0').padEnd(3, '0').slice(0, 3) : NaN;
  };
  const d = Math.abs(ms(a) - ms(b));
  return a === b || d < 1000 || d > 86_399_000; // across midnight
}
