// The senders under test, each started fresh for one trial with a workload's
// routes already configured: our speaker (`bgp-speaker standalone`), BIRD 2,
// GoBGP and FRR bgpd (-Z, no zebra). Every sender speaks eBGP from its own
// loopback address to the receiver (RFC 4271; AS 65010 -> AS 65001) and is
// stopped by PID. What each one needs to be loaded fast, and what it cannot
// do, is written next to it.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startProcess, runOk, run, waitFor, freePort, type Proc } from '../../test/peers/proc.js';
import { BirdControl } from './birdctl.js';
import { mrtTableDump } from './mrt.js';
import { speakerYaml, workloadNodes, LOCAL_AS } from './speaker-config.js';
import { routes, routeSpecs, prefixOf, nextHopOf, type Workload } from './workloads.js';

export type SenderName = 'ours' | 'ours-core' | 'floor' | 'bird' | 'gobgp' | 'frr';
export const SENDERS: readonly SenderName[] = ['ours', 'ours-core', 'floor', 'bird', 'gobgp', 'frr'];

export interface Receiver {
  readonly address: string;
  /** One port per session of the workload (the first is `port`). */
  readonly ports: readonly number[];
  readonly port: number;
  readonly as: number;
}

export interface SenderRun {
  readonly proc: Proc;
  /** performance.now() when the process was spawned. */
  readonly spawnedAt: number;
  /**
   * Set for a passive sender (the receiver dials it): the port it listens on.
   * The trial enables the receiver's protocol once the routes are loaded.
   */
  readonly listenPort?: number;
  /** Called on every poll while measuring (BIRD: wakes its main loop). */
  tick?(): Promise<void>;
  /** A note for the table (what differs from the others). */
  readonly note?: string;
  stop(): Promise<void>;
}

export interface Sender {
  readonly name: SenderName;
  /** Our source address and BGP Identifier. */
  readonly address: string;
  /** true: the receiver dials this sender (GoBGP's first connect waits 5-10 s). */
  readonly passive: boolean;
  /** true: runs a workload's several sessions (rx.addresses); only ours does here. */
  readonly multiSession?: boolean;
  start(w: Workload, rx: Receiver, dir: string): Promise<SenderRun>;
}

const ROOT = process.cwd();

/** Extra node flags for our senders (run.ts --profile adds --cpu-prof). */
export const oursNodeArgs: string[] = [];

export const ours: Sender = {
  name: 'ours',
  address: '127.0.0.2',
  passive: false,
  multiSession: true,
  async start(w, rx, dir) {
    const config = join(dir, 'speaker.yaml');
    await writeFile(config, speakerYaml(rx, this.address, workloadNodes(w)));
    const spawnedAt = performance.now();
    const proc = startProcess({
      argv: [process.execPath, ...oursNodeArgs, join(ROOT, 'dist/bundle/bgp-speaker.js'), 'standalone', '--config', config, '--node-name', 'speaker', '--admin-address', 'off'],
      dir,
      logName: 'speaker.log',
    });
    return { proc, spawnedAt, stop: () => proc.stop() };
  },
};

/**
 * The speaker alone (src/bgp Speaker run by test/interop/driver.ts from a JSON
 * list of SessionSpec): the same sessions and routes as `ours` without the
 * YAML file, validation and desired-state steps, so the two rows tell the
 * protocol engine's cost from the configuration path's.
 */
export const oursCore: Sender = {
  name: 'ours-core',
  address: '127.0.0.2',
  passive: false,
  multiSession: true,
  async start(w, rx, dir) {
    const list = routeSpecs(w);
    const spec = (peerPort: number, i: number) => ({
      name: i === 0 ? 'bench' : `bench${i + 1}`,
      peerAddress: rx.address,
      peerPort,
      localAddress: this.address,
      localAs: LOCAL_AS,
      peerAs: rx.as,
      routerId: this.address,
      routes: list,
    });
    return startScript(dir, 'dist/test/interop/driver.js', { specs: rx.ports.map(spec) }, 'Speaker from JSON, no YAML', oursNodeArgs);
  },
};

/** Runs a script of ours (a path under the repository) with node and one JSON file holding `input`. */
async function startScript(dir: string, script: string, input: unknown, note: string, nodeArgs: readonly string[] = []): Promise<SenderRun> {
  const file = join(dir, 'input.json');
  await writeFile(file, JSON.stringify(input));
  const spawnedAt = performance.now();
  const proc = startProcess({ argv: [process.execPath, ...nodeArgs, join(ROOT, script), file], dir, logName: 'sender.log' });
  return { proc, spawnedAt, note, stop: () => proc.stop() };
}

/**
 * The receiver's floor (bench/floor-sender.ts): the table packed into
 * UPDATEs before the session opens and written in one go once it is up, so
 * its Established -> all routes is the receiver's own time.
 */
export const floor: Sender = {
  name: 'floor',
  address: '127.0.0.6',
  passive: false,
  multiSession: true,
  start(w, rx, dir) {
    const input = { localAddress: this.address, peerAddress: rx.address, ports: rx.ports, localAs: LOCAL_AS, peerAs: rx.as, routerId: this.address, routes: routeSpecs(w) };
    return startScript(dir, 'dist/bench/floor-sender.js', input, 'pre-packed table, one write: the receiver alone');
  },
};

function birdSenderConfig(w: Workload, rx: Receiver, address: string): string {
  const lines = [`router id ${address};`, 'log stderr { warning, error, fatal };', 'protocol device { }', 'protocol static s4 {', '  ipv4;'];
  // A per-route attribute block sets the BGP next hop of the static route.
  for (let i = 0; i < w.n; i++) lines.push(`  route ${prefixOf(w, i)} blackhole { bgp_next_hop = ${nextHopOf(w, i)}; };`);
  lines.push(
    '}',
    'protocol bgp to_receiver {',
    `  local ${address} as ${LOCAL_AS};`,
    `  neighbor ${rx.address} port ${rx.port} as ${rx.as};`,
    '  multihop;',
    '  connect delay time 1;',
    '  graceful restart off;',
    // next hop keep: send each route's own next hop (W2), as a multihop eBGP session would not otherwise.
    '  ipv4 { import none; export all; next hop keep; };',
    '}',
  );
  return lines.join('\n') + '\n';
}

export const bird: Sender = {
  name: 'bird',
  address: '127.0.0.3',
  passive: false,
  async start(w, rx, dir) {
    const conf = join(dir, 'bird-sender.conf');
    const sock = join(dir, 'bird-sender.ctl');
    await writeFile(conf, birdSenderConfig(w, rx, this.address));
    const spawnedAt = performance.now();
    const proc = startProcess({ argv: ['/usr/sbin/bird', '-f', '-c', conf, '-s', sock, '-P', join(dir, 'bird-sender.pid')], dir, logName: 'bird-sender.log' });
    let ctl: BirdControl | null = null;
    let opening = false;
    return {
      proc,
      spawnedAt,
      async tick() {
        // BIRD 2.0 sends its first UPDATEs only when its main loop wakes; a control command wakes it.
        if (ctl) {
          await ctl.command('show status').catch(() => undefined);
        } else if (!opening) {
          opening = true;
          ctl = await BirdControl.open(sock).catch(() => null);
          opening = false;
        }
      },
      async stop() {
        ctl?.close();
        await proc.stop();
      },
    };
  },
};

export const gobgp: Sender = {
  name: 'gobgp',
  address: '127.0.0.4',
  passive: true,
  async start(w, rx, dir) {
    const port = await freePort();
    const toml = [
      '[global.config]',
      `  as = ${LOCAL_AS}`,
      `  router-id = "${this.address}"`,
      `  port = ${port}`,
      `  local-address-list = ["${this.address}"]`,
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${rx.address}"`,
      `    peer-as = ${rx.as}`,
      '  [neighbors.transport.config]',
      '    passive-mode = true',
      `    local-address = "${this.address}"`,
      '  [neighbors.ebgp-multihop.config]',
      '    enabled = true',
      '    multihop-ttl = 255',
      '  [[neighbors.afi-safis]]',
      '    [neighbors.afi-safis.config]',
      '      afi-safi-name = "ipv4-unicast"',
    ].join('\n');
    await writeFile(join(dir, 'gobgpd.toml'), toml + '\n');
    const target = `unix://${join(dir, 'gobgp.sock')}`;
    const spawnedAt = performance.now();
    const proc = startProcess({
      argv: ['/usr/bin/gobgpd', '-f', join(dir, 'gobgpd.toml'), '-t', 'toml', '--api-hosts', target, '--pprof-disable', '--log-plain', '-l', 'warn'],
      dir,
      logName: 'gobgpd.log',
    });
    await waitFor(
      async () => {
        if (!proc.isRunning()) throw new Error(`gobgpd exited: ${proc.log()}`);
        const r = await run(['/usr/bin/gobgp', '--target', target, 'global'], { timeoutMs: 3000 });
        return { ok: r.code === 0, value: r.stderr.trim() };
      },
      { what: 'gobgpd API', timeoutMs: 10000, intervalMs: 50 },
    );
    // Routes go in through an MRT dump (`gobgp global rib add` per route would take minutes).
    const mrt = join(dir, 'routes.mrt');
    await writeFile(mrt, mrtTableDump([...routes(w)], { routerId: this.address, address: this.address, as: LOCAL_AS }));
    await runOk(['/usr/bin/gobgp', '--target', target, 'mrt', 'inject', 'global', mrt], { timeoutMs: 600000 });
    await waitFor(
      async () => {
        const out = await runOk(['/usr/bin/gobgp', '--target', target, 'global', 'rib', 'summary', '-a', 'ipv4'], { timeoutMs: 30000 });
        const n = Number(/Destination:\s*(\d+)/.exec(out)?.[1] ?? 0);
        return { ok: n >= w.n, value: `${n} of ${w.n} routes loaded` };
      },
      { what: 'GoBGP RIB loaded', timeoutMs: 600000, intervalMs: 200 },
    );
    return {
      proc,
      spawnedAt,
      listenPort: port,
      note: 'passive (receiver dials)',
      stop: () => proc.stop(),
    };
  },
};

export const frr: Sender = {
  name: 'frr',
  address: '127.0.0.5',
  passive: false,
  async start(w, rx, dir) {
    const a = rx.address;
    const conf = [
      'frr defaults traditional',
      'hostname bench-frr',
      'log stdout warnings',
      '!',
    ];
    if (w.perPrefixNextHop) {
      // A route-map per `network` statement is FRR's way to give an originated
      // prefix its own next hop, but bgpd 8.4 loads them in quadratic time:
      // 5,000 did not finish within 30 s (CPU-bound in config load).
      throw new Error('cannot be loaded: a next hop per prefix needs a route-map per network; bgpd 8.4 did not load 5,000 in 30 s');
    }
    conf.push(
      `router bgp ${LOCAL_AS}`,
      ` bgp router-id ${this.address}`,
      ' no bgp ebgp-requires-policy',
      ' no bgp default ipv4-unicast',
      ' no bgp network import-check',
      ` neighbor ${a} remote-as ${rx.as}`,
      ` neighbor ${a} port ${rx.port}`,
      ` neighbor ${a} update-source ${this.address}`,
      ` neighbor ${a} ebgp-multihop 255`,
      ` neighbor ${a} timers connect 1`,
      // Traditional defaults hold eBGP UPDATEs for a 30 s MRAI; the benchmark wants them at once.
      ` neighbor ${a} advertisement-interval 0`,
      ' address-family ipv4 unicast',
    );
    for (let i = 0; i < w.n; i++) conf.push(`  network ${prefixOf(w, i)}`);
    conf.push(`  neighbor ${a} activate`, `  neighbor ${a} attribute-unchanged next-hop`, ' exit-address-family', '!');
    const file = join(dir, 'bgpd.conf');
    await writeFile(file, conf.join('\n') + '\n');
    const port = await freePort();
    const spawnedAt = performance.now();
    const proc = startProcess({
      argv: [
        '/usr/lib/frr/bgpd', '-f', file, '-i', join(dir, 'bgpd.pid'), '-z', join(dir, 'zserv.api'), '--vty_socket', dir,
        '-Z', '-n', '-S', '-P', '0', '-p', String(port), '-l', this.address, '--log', 'stdout',
      ],
      dir,
      logName: 'bgpd.log',
    });
    return { proc, spawnedAt, note: 'network statements', stop: () => proc.stop() };
  },
};

export const SENDER_BY_NAME: Record<SenderName, Sender> = { ours, 'ours-core': oursCore, floor, bird, gobgp, frr };
