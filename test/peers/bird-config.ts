// BIRD 2 configuration text for the real-peer harness: one `bgp` protocol per
// neighbor, static routes exported with chosen next hops and attributes, and
// import settings that keep every received route visible.
//
// Facts about BIRD 2.0.12 that shaped this file (observed, not guessed):
// - A single-hop eBGP session to 127.0.0.x fails with "Invalid remote address"
//   (loopback is not a directly connected network to BIRD): loopback
//   neighbors get `multihop` automatically.
// - With the default `gateway direct`, a received NEXT_HOP that is not on a
//   connected network, or is a local address, is treated as withdraw
//   (RFC 7606 §7.3 style). `gateway recursive` keeps such routes in the table
//   as `unreachable`, which `show route` still lists. We always set it.
// - An IPv6 channel on an IPv4 session (RFC 4760 MP-BGP) needs
//   `next hop address`, otherwise BIRD warns "Missing next hop address" and
//   silently sends no IPv6 routes; likewise an IPv4 channel on an IPv6 session.
// - A next hop set in the export filter (`bgp_next_hop = …`) is sent as is,
//   which gives third-party next hops (RFC 4271 §5.1.3).
// - BIRD strings have no escapes, so passwords with `"` or newlines are refused.

export interface BirdRouteSpec {
  /** e.g. "10.1.0.0/24" or "2001:db8:100::/48" */
  prefix: string;
  /** Next hop to send; default: BIRD's own (next hop self). */
  nextHop?: string;
  med?: number;
  localPref?: number;
  /** RFC 1997 communities as [asn, value] pairs. */
  communities?: Array<[number, number]>;
  /** ASNs prepended to the AS_PATH before BIRD's own. */
  asPathPrepend?: number[];
  origin?: 'igp' | 'egp' | 'incomplete';
}

export interface BirdNeighbor {
  /** Protocol name in BIRD (identifier: letters, digits, underscore). */
  name: string;
  address: string;
  /** Remote TCP port (default 179). */
  port?: number;
  as: number;
  password?: string;
  /** Do not dial; wait for the peer (BIRD `passive on`). */
  passive?: boolean;
  /** RFC 4724 capability (default false). */
  gracefulRestart?: boolean;
  /** Restart Time BIRD advertises, seconds (default 120). */
  grTime?: number;
  /** RFC 9494 long-lived GR (default off so stale handling is plain GR). */
  longLivedGracefulRestart?: boolean;
  /** true or a TTL; default: true for loopback addresses, else single-hop. */
  multihop?: boolean | number;
  /** Channels (default ipv4 only for IPv4 neighbors, ipv6 only for IPv6). */
  ipv4?: boolean;
  ipv6?: boolean;
  /** Import everything (default) or nothing. */
  importAll?: boolean;
  /** Routes to export to this neighbor; default none. */
  exportRoutes?: BirdRouteSpec[];
  holdTime?: number;
  keepaliveTime?: number;
  /** Local address of this session (default: the instance's listen address). */
  localAddress?: string;
  /** Local ASN for this session (default: the instance's localAs). */
  localAs?: number;
  /** Next hop self address for the IPv4 channel on an IPv6 session. */
  nextHopAddress4?: string;
  /** Next hop self address for the IPv6 channel on an IPv4 session. */
  nextHopAddress6?: string;
  /** Raw lines appended inside the protocol block, for unusual tests. */
  extra?: string[];
}

export interface BirdOptions {
  routerId: string;
  localAs: number;
  /** Address and port BIRD listens on / sends from (`local <addr> port <p>`). */
  listen: { address: string; port: number };
  neighbors: BirdNeighbor[];
  /** Run inside this network namespace. */
  netns?: string;
  /** Raw top-level lines appended to the config. */
  extra?: string[];
}

const ident = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isIpv6(addr: string): boolean {
  return addr.includes(':');
}

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1';
}

function quote(s: string, what: string): string {
  if (/["\n\r\\]/.test(s)) throw new Error(`BIRD config: ${what} must not contain quotes, backslashes or newlines`);
  return `"${s}"`;
}

function asn(n: number, what: string): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`BIRD config: ${what} ${n} is not a 32-bit ASN`);
  return String(n);
}

function checkPrefix(p: string): string {
  if (!/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(p)) throw new Error(`BIRD config: bad prefix ${JSON.stringify(p)}`);
  return p;
}

function checkAddr(a: string): string {
  if (!/^[0-9a-fA-F:.]+$/.test(a)) throw new Error(`BIRD config: bad address ${JSON.stringify(a)}`);
  return a;
}

function exportFilter(routes: BirdRouteSpec[], v6: boolean): string {
  const mine = routes.filter((r) => isIpv6(r.prefix) === v6);
  if (mine.length === 0) return 'export none;';
  const lines: string[] = ['export filter {'];
  for (const r of mine) {
    const body: string[] = [];
    if (r.nextHop) body.push(`bgp_next_hop = ${checkAddr(r.nextHop)};`);
    if (r.med !== undefined) body.push(`bgp_med = ${r.med};`);
    if (r.localPref !== undefined) body.push(`bgp_local_pref = ${r.localPref};`);
    if (r.origin) body.push(`bgp_origin = ORIGIN_${r.origin.toUpperCase()};`);
    for (const [a, v] of r.communities ?? []) body.push(`bgp_community.add((${a},${v}));`);
    for (const a of [...(r.asPathPrepend ?? [])].reverse()) body.push(`bgp_path.prepend(${asn(a, 'prepend')});`);
    body.push('accept;');
    lines.push(`      if net = ${checkPrefix(r.prefix)} then { ${body.join(' ')} }`);
  }
  lines.push('      reject;', '    };');
  return lines.join('\n');
}

function channel(n: BirdNeighbor, v6: boolean, sessionV6: boolean): string {
  const parts = [
    n.importAll === false ? 'import none;' : 'import all;',
    exportFilter(n.exportRoutes ?? [], v6),
    'gateway recursive;',
  ];
  if (v6 && !sessionV6) parts.push(`next hop address ${checkAddr(n.nextHopAddress6 ?? `::ffff:${n.localAddress ?? '0.0.0.0'}`)};`);
  if (!v6 && sessionV6) parts.push(`next hop address ${checkAddr(n.nextHopAddress4 ?? '192.0.2.1')};`);
  return `  ${v6 ? 'ipv6' : 'ipv4'} {\n    ${parts.join('\n    ')}\n  };`;
}

export function birdConfig(opts: BirdOptions): string {
  const out: string[] = [
    '# generated by test/peers/bird-config.ts',
    `router id ${checkAddr(opts.routerId)};`,
    'log stderr all;',
    // Scans interfaces so next hops on connected networks resolve.
    'protocol device { }',
  ];
  const v4: BirdRouteSpec[] = [];
  const v6: BirdRouteSpec[] = [];
  const seen = new Set<string>();
  for (const n of opts.neighbors) {
    for (const r of n.exportRoutes ?? []) {
      if (seen.has(r.prefix)) continue;
      seen.add(r.prefix);
      (isIpv6(r.prefix) ? v6 : v4).push(r);
    }
  }
  // Blackhole statics are the route source; the export filters set the
  // attributes per neighbor, so a route's next hop is not resolved locally.
  if (v4.length) out.push(`protocol static static4 {\n  ipv4;\n${v4.map((r) => `  route ${checkPrefix(r.prefix)} blackhole;`).join('\n')}\n}`);
  if (v6.length) out.push(`protocol static static6 {\n  ipv6;\n${v6.map((r) => `  route ${checkPrefix(r.prefix)} blackhole;`).join('\n')}\n}`);

  for (const n of opts.neighbors) {
    if (!ident.test(n.name)) throw new Error(`BIRD config: neighbor name ${JSON.stringify(n.name)} is not an identifier`);
    const sessionV6 = isIpv6(n.address);
    const localAddress = n.localAddress ?? opts.listen.address;
    const withLocal = { ...n, localAddress };
    const useV4 = n.ipv4 ?? !sessionV6;
    const useV6 = n.ipv6 ?? sessionV6;
    const multihop = n.multihop ?? isLoopback(n.address);
    const lines: string[] = [
      `  local ${checkAddr(localAddress)} port ${opts.listen.port} as ${asn(n.localAs ?? opts.localAs, 'local AS')};`,
      `  neighbor ${checkAddr(n.address)} port ${n.port ?? 179} as ${asn(n.as, 'neighbor AS')};`,
      // Short waits so tests do not sit out BIRD's 60 s error back-off.
      '  connect delay time 1;',
      '  connect retry time 2;',
      '  error wait time 1, 3;',
      '  error forget time 10;',
    ];
    if (multihop !== false) lines.push(typeof multihop === 'number' ? `  multihop ${multihop};` : '  multihop;');
    if (n.password !== undefined) lines.push(`  password ${quote(n.password, 'password')};`);
    if (n.passive) lines.push('  passive on;');
    if (n.holdTime !== undefined) lines.push(`  hold time ${n.holdTime};`);
    if (n.keepaliveTime !== undefined) lines.push(`  keepalive time ${n.keepaliveTime};`);
    if (n.gracefulRestart) {
      lines.push('  graceful restart on;', `  graceful restart time ${n.grTime ?? 120};`);
    } else {
      lines.push('  graceful restart off;');
    }
    lines.push(`  long lived graceful restart ${n.longLivedGracefulRestart ? 'on' : 'off'};`);
    if (useV4) lines.push(channel(withLocal, false, sessionV6));
    if (useV6) lines.push(channel(withLocal, true, sessionV6));
    for (const e of n.extra ?? []) lines.push(`  ${e}`);
    out.push(`protocol bgp ${n.name} {\n${lines.join('\n')}\n}`);
  }
  for (const e of opts.extra ?? []) out.push(e);
  return out.join('\n') + '\n';
}
