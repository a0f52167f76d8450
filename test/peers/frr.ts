// Runs FRR 8.x bgpd as a real BGP peer for tests, without zebra (`-Z`): the
// config goes into a fresh temp dir, vty sockets too (`--vty_socket`), and
// state is read with `vtysh --vty_socket <dir> -d bgpd -c '… json'`. Runs as
// root without the frr user (`-S`). Covers what tests assert about RFC 4271
// sessions, RFC 4760 routes and RFC 4724 graceful restart as FRR sees them.
//
// FRR treats 127/8 next hops as martian, so route tests run it inside a
// createLan() namespace. Without zebra every next hop counts as reachable,
// so received routes are valid and best. Observed in FRR 8.4.4 JSON: a path
// kept across a peer's restart carries "stale": true.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, removeDir, run, runOk, startProcess, waitFor, type Proc } from './proc.js';

export const FRR_BGPD_BIN = process.env.FRR_BGPD_BIN ?? '/usr/lib/frr/bgpd';
export const VTYSH_BIN = process.env.VTYSH_BIN ?? '/usr/bin/vtysh';

export interface FrrNeighbor {
  address: string;
  as: number;
  port?: number;
  password?: string;
  /** Wait for the peer to dial (default true). */
  passive?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  holdTime?: number;
  keepalive?: number;
  multihop?: boolean | number;
}

export interface FrrOptions {
  routerId: string;
  localAs: number;
  listenAddress?: string;
  /** BGP listen port (default 179). */
  listenPort?: number;
  /** RFC 4724 for the whole router (default false). */
  gracefulRestart?: boolean;
  grTime?: number;
  /** Prefixes FRR originates (`network`), next hop self. */
  networks?: string[];
  neighbors: FrrNeighbor[];
  netns?: string;
}

export interface FrrPath {
  prefix: string;
  nextHop: string;
  asPath: number[];
  origin?: 'IGP' | 'EGP' | 'Incomplete';
  med?: number;
  localPref?: number;
  valid: boolean;
  best: boolean;
  stale: boolean;
  peerId?: string;
  raw: Record<string, unknown>;
}

export interface FrrNeighborState {
  address: string;
  remoteAs: number;
  /** Established | Active | Connect | Idle | OpenSent | OpenConfirm */
  state: string;
  remoteRouterId?: string;
  holdTimeMs?: number;
  accepted: { ipv4: number; ipv6: number };
  gracefulRestart?: string;
  remoteRestartTime?: number;
  rBit?: boolean;
  nBit?: boolean;
  lastResetDueTo?: string;
  raw: Record<string, any>;
}

export interface FrrHandle {
  readonly pid: number;
  readonly dir: string;
  readonly proc: Proc;
  vtysh(command: string): Promise<string>;
  neighbors(): Promise<FrrNeighborState[]>;
  neighbor(address: string): Promise<FrrNeighborState | undefined>;
  rib(family: 'ipv4' | 'ipv6'): Promise<FrrPath[]>;
  /** Paths learned from one neighbor (after policy). */
  adjIn(neighbor: string, family: 'ipv4' | 'ipv6'): Promise<FrrPath[]>;
  waitEstablished(address: string, timeoutMs?: number): Promise<FrrNeighborState>;
  log(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

function safe(s: string, what: string): string {
  if (!/^[0-9A-Za-z:./_-]+$/.test(s)) throw new Error(`FRR config: bad ${what} ${JSON.stringify(s)}`);
  return s;
}

export function frrConfig(opts: FrrOptions): string {
  const out = ['frr defaults traditional', 'hostname ebgp-frr', 'log stdout informational', '!', `router bgp ${opts.localAs}`];
  out.push(` bgp router-id ${safe(opts.routerId, 'router id')}`, ' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast', ' no bgp network import-check');
  if (opts.gracefulRestart) out.push(' bgp graceful-restart', ` bgp graceful-restart restart-time ${opts.grTime ?? 120}`);
  for (const n of opts.neighbors) {
    const a = safe(n.address, 'neighbor address');
    out.push(` neighbor ${a} remote-as ${n.as}`);
    if (n.port !== undefined) out.push(` neighbor ${a} port ${n.port}`);
    if (n.password !== undefined) {
      if (/\s/.test(n.password)) throw new Error('FRR config: password must not contain white space');
      out.push(` neighbor ${a} password ${n.password}`);
    }
    if (n.passive ?? true) out.push(` neighbor ${a} passive`);
    out.push(` neighbor ${a} timers connect 1`);
    if (n.holdTime !== undefined) out.push(` neighbor ${a} timers ${n.keepalive ?? Math.max(1, Math.floor(n.holdTime / 3))} ${n.holdTime}`);
    if (n.multihop) out.push(` neighbor ${a} ebgp-multihop ${typeof n.multihop === 'number' ? n.multihop : 255}`);
  }
  for (const fam of ['ipv4', 'ipv6'] as const) {
    out.push(` address-family ${fam} unicast`);
    for (const p of opts.networks ?? []) if (p.includes(':') === (fam === 'ipv6')) out.push(`  network ${safe(p, 'prefix')}`);
    for (const n of opts.neighbors) {
      const v6 = n.address.includes(':');
      const on = fam === 'ipv4' ? (n.ipv4 ?? !v6) : (n.ipv6 ?? v6);
      if (on) out.push(`  neighbor ${n.address} activate`);
    }
    out.push(' exit-address-family');
  }
  out.push('!');
  return out.join('\n') + '\n';
}

type Json = Record<string, any>;

function originOf(s: unknown): FrrPath['origin'] {
  const v = String(s ?? '').toLowerCase();
  return v === 'igp' ? 'IGP' : v === 'egp' ? 'EGP' : v === 'incomplete' ? 'Incomplete' : undefined;
}

/** `show bgp <afi> unicast json` (and `neighbors X routes json`): { routes: { prefix: [path] } }. */
export function parseFrrRib(text: string): FrrPath[] {
  const t = text.trim();
  if (!t) return [];
  const obj = JSON.parse(t) as Json;
  const out: FrrPath[] = [];
  for (const [prefix, paths] of Object.entries((obj.routes ?? {}) as Json)) {
    for (const p of (Array.isArray(paths) ? paths : []) as Json[]) {
      const nhs = (p.nexthops ?? []) as Json[];
      const global = nhs.find((n) => n.scope !== 'link-local') ?? nhs[0];
      out.push({
        prefix: p.network ?? prefix,
        nextHop: global?.ip ?? '',
        asPath: (String(p.path ?? '').match(/\d+/g) ?? []).map(Number),
        origin: originOf(p.origin),
        med: p.metric,
        localPref: p.locPrf,
        valid: p.valid === true,
        best: p.bestpath === true,
        stale: p.stale === true,
        peerId: p.peerId,
        raw: p,
      });
    }
  }
  return out;
}

export function parseFrrNeighbors(text: string): FrrNeighborState[] {
  const t = text.trim();
  if (!t) return [];
  const obj = JSON.parse(t) as Json;
  return Object.entries(obj)
    .filter(([, v]) => v && typeof v === 'object' && 'bgpState' in (v as Json))
    .map(([address, v]) => {
      const n = v as Json;
      const afi = (n.addressFamilyInfo ?? {}) as Json;
      return {
        address,
        remoteAs: n.remoteAs,
        state: n.bgpState,
        remoteRouterId: n.remoteRouterId,
        holdTimeMs: n.bgpTimerHoldTimeMsecs,
        accepted: { ipv4: afi.ipv4Unicast?.acceptedPrefixCounter ?? 0, ipv6: afi.ipv6Unicast?.acceptedPrefixCounter ?? 0 },
        gracefulRestart: n.neighborCapabilities?.gracefulRestart,
        remoteRestartTime: n.gracefulRestartInfo?.timers?.receivedRestartTimer,
        rBit: n.gracefulRestartInfo?.rBit,
        nBit: n.gracefulRestartInfo?.nBit,
        lastResetDueTo: n.lastResetDueTo,
        raw: n,
      };
    });
}

export async function startFrr(opts: FrrOptions): Promise<FrrHandle> {
  const dir = await makeTempDir('ebgp-frr');
  const configFile = join(dir, 'bgpd.conf');
  await writeFile(configFile, frrConfig(opts));
  const argv = [
    FRR_BGPD_BIN,
    '-f', configFile,
    '-i', join(dir, 'bgpd.pid'),
    '-z', join(dir, 'zserv.api'),
    '--vty_socket', dir,
    '-Z', '-n', '-S',
    '-P', '0',
    '-p', String(opts.listenPort ?? 179),
    '--log', 'stdout',
  ];
  if (opts.listenAddress) argv.push('-l', opts.listenAddress);
  const proc = startProcess({ argv, dir, logName: 'bgpd.log', netns: opts.netns });
  // vtysh talks over a Unix socket, which works across network namespaces.
  const vtysh = (command: string): Promise<string> =>
    runOk([VTYSH_BIN, '--vty_socket', dir, '-d', 'bgpd', '-c', command], { timeoutMs: 10000 });
  try {
    await waitFor(
      async () => {
        if (!proc.isRunning()) throw new Error(`bgpd exited: ${proc.log().trim()}`);
        const r = await run([VTYSH_BIN, '--vty_socket', dir, '-d', 'bgpd', '-c', 'show bgp summary json'], { timeoutMs: 3000 });
        return { ok: r.code === 0 && r.stdout.trim().startsWith('{'), value: (r.stderr || r.stdout).trim() };
      },
      { what: `FRR bgpd vty in ${dir}`, timeoutMs: 10000, intervalMs: 100 },
    );
  } catch (err) {
    await proc.kill();
    throw new Error(`${(err as Error).message}\nlog:\n${proc.log()}`);
  }
  const neighbors = async (): Promise<FrrNeighborState[]> => parseFrrNeighbors(await vtysh('show bgp neighbors json'));
  const neighbor = async (address: string): Promise<FrrNeighborState | undefined> => (await neighbors()).find((n) => n.address === address);
  return {
    pid: proc.pid,
    dir,
    proc,
    vtysh,
    neighbors,
    neighbor,
    async rib(family) {
      return parseFrrRib(await vtysh(`show bgp ${family} unicast json`));
    },
    async adjIn(address, family) {
      return parseFrrRib(await vtysh(`show bgp ${family} unicast neighbors ${safe(address, 'address')} routes json`));
    },
    async waitEstablished(address, timeoutMs = 20000) {
      let last: FrrNeighborState | undefined;
      await waitFor(
        async () => {
          if (!proc.isRunning()) throw new Error('bgpd is not running');
          last = await neighbor(address);
          return { ok: last?.state === 'Established', value: last ? `${last.state} ${last.lastResetDueTo ?? ''}` : 'no such neighbor' };
        },
        { what: `FRR neighbor ${address} Established`, timeoutMs, intervalMs: 100 },
      );
      return last as FrrNeighborState;
    },
    log: () => proc.log(),
    async stop() {
      await proc.stop();
      await removeDir(dir);
    },
    async kill() {
      await proc.kill('SIGKILL');
    },
  };
}
