// RouteSpec[] (text from the controller) -> the Adj-RIB-Out's desired table:
// each prefix parsed once, each next hop in canonical form and of the
// prefix's family (RFC 4271 §5.1.3 NEXT_HOP for IPv4, RFC 4760 MP_REACH_NLRI
// for IPv6). A route that cannot be advertised is logged and left out; the
// others are unaffected.

import type Logger from 'bunyan';
import type { OutRoute } from './adj-rib-out.js';
import { formatAddress, parseAddress, parsePrefix } from './prefix.js';
import type { RouteSpec } from './types.js';

/** Parses and checks routes; the later of two routes for one prefix wins. */
export function routeTable(routes: readonly RouteSpec[], log?: Logger): Map<string, OutRoute> {
  const table = new Map<string, OutRoute>();
  const nextHops = new Map<string, { afi: 1 | 2; text: string }>();
  for (const r of routes) {
    try {
      const prefix = parsePrefix(r.prefix);
      let nh = nextHops.get(r.nextHop);
      if (!nh) {
        const a = parseAddress(r.nextHop);
        nh = { afi: a.afi, text: formatAddress(a.afi, a.bytes) };
        nextHops.set(r.nextHop, nh);
      }
      if (nh.afi !== prefix.afi) {
        throw new Error(`next hop ${r.nextHop} is not of the family of ${r.prefix}`);
      }
      table.set(prefix.key, { prefix, family: prefix.afi === 1 ? 'ipv4' : 'ipv6', nextHop: nh.text });
    } catch (err) {
      log?.warn({ prefix: r.prefix, nextHop: r.nextHop, problem: (err as Error).message }, 'route left out');
    }
  }
  return table;
}
