// One Ethernet LAN of network namespaces for tests whose peers reject
// loopback next hops (GoBGP, FRR treat 127/8 as martian, RFC 1122 §3.2.1.3):
// a bridge in its own namespace and one namespace per host, joined by veth
// pairs. Host i gets 198.18.0.<i+1>/24 (RFC 2544 benchmarking space) and
// 2001:db8:18::<i+1>/64 (RFC 3849 documentation space), IPv6 without DAD so
// the addresses work at once. Names are unique per process (prefix + pid +
// counter) so concurrent ava workers never collide, and every namespace is
// deleted on destroy() and, failing that, when the test process exits.

import { onExitSync, run, runOk, runSync, uniqueName, waitFor, type RunResult } from './proc.js';

export interface LanHost {
  /** The name the caller gave. */
  name: string;
  ns: string;
  ipv4: string;
  ipv6: string;
  /** Interface name inside the namespace. */
  iface: string;
}

export interface Lan {
  hosts: LanHost[];
  host(name: string): LanHost;
  bridgeNs: string;
  /** Run argv inside a namespace; throws on a non-zero exit. */
  exec(ns: string, argv: string[]): Promise<string>;
  /** Same, returning code/stdout/stderr without throwing. */
  run(ns: string, argv: string[]): Promise<RunResult>;
  /** Argv prefix for spawning inside a namespace. */
  prefix(ns: string): string[];
  /** Is `address` reachable from `fromNs` (TCP probe: refused counts as reachable)? */
  reachable(fromNs: string, address: string): Promise<boolean>;
  destroy(): Promise<void>;
}

export interface LanOptions {
  hosts: string[];
  /** Namespace name prefix (default "ebgp"). */
  prefix?: string;
  /** Check every host reaches host 0 over IPv4 and IPv6 (default true). */
  verify?: boolean;
}

// No `ping` in the image, so reachability is a TCP connect to the discard
// port: a RST (ECONNREFUSED) proves the address answered.
const probeScript = `
const net = require('node:net');
const s = net.connect({ host: process.argv[1], port: 9, timeout: 1500 });
s.on('connect', () => process.exit(0));
s.on('error', (e) => process.exit(e.code === 'ECONNREFUSED' ? 0 : 1));
s.on('timeout', () => process.exit(2));
`;

export async function createLan(opts: LanOptions): Promise<Lan> {
  if (opts.hosts.length === 0) throw new Error('createLan: no hosts');
  if (opts.hosts.length > 250) throw new Error('createLan: at most 250 hosts');
  const base = uniqueName(opts.prefix ?? 'ebgp');
  const bridgeNs = `${base}-br`;
  const made: string[] = [];
  const deleteAllSync = (): void => {
    for (const ns of made) runSync(['ip', 'netns', 'del', ns]);
  };
  const unhook = onExitSync(deleteAllSync);

  const hosts: LanHost[] = opts.hosts.map((name, i) => ({
    name,
    ns: `${base}-h${i + 1}`,
    ipv4: `198.18.0.${i + 1}`,
    ipv6: `2001:db8:18::${i + 1}`,
    iface: 'eth0',
  }));

  const destroy = async (): Promise<void> => {
    for (const ns of [...made].reverse()) {
      await run(['ip', 'netns', 'del', ns]);
    }
    made.length = 0;
    unhook();
  };

  try {
    for (const ns of [bridgeNs, ...hosts.map((h) => h.ns)]) {
      await runOk(['ip', 'netns', 'add', ns]);
      made.push(ns);
    }
    await runOk(['ip', '-n', bridgeNs, '-batch', '-'], {
      input: ['link set lo up', 'link add br0 type bridge stp_state 0 forward_delay 0', 'link set br0 up', ''].join('\n'),
    });
    for (const [i, h] of hosts.entries()) {
      const port = `p${i + 1}`;
      // Create the pair inside the host namespace and push the peer end into
      // the bridge namespace: nothing ever appears in the root namespace.
      await runOk(['ip', '-n', h.ns, 'link', 'add', h.iface, 'type', 'veth', 'peer', 'name', port, 'netns', bridgeNs]);
      await runOk(['ip', '-n', bridgeNs, '-batch', '-'], {
        input: [`link set ${port} master br0`, `link set ${port} up`, ''].join('\n'),
      });
      await runOk(['ip', '-n', h.ns, '-batch', '-'], {
        input: [
          'link set lo up',
          `addr add ${h.ipv4}/24 dev ${h.iface}`,
          `addr add ${h.ipv6}/64 dev ${h.iface} nodad`,
          `link set ${h.iface} up`,
          '',
        ].join('\n'),
      });
    }
  } catch (err) {
    await destroy();
    throw err;
  }

  const reachable = async (fromNs: string, address: string): Promise<boolean> => {
    const r = await run(['ip', 'netns', 'exec', fromNs, process.execPath, '-e', probeScript, address], { timeoutMs: 5000 });
    return r.code === 0;
  };

  if (opts.verify !== false && hosts.length > 1) {
    try {
      for (const h of hosts.slice(1)) {
        for (const addr of [hosts[0].ipv4, hosts[0].ipv6]) {
          await waitFor(async () => reachable(h.ns, addr), {
            what: `${addr} reachable from namespace ${h.ns}`,
            timeoutMs: 5000,
            intervalMs: 100,
          });
        }
      }
    } catch (err) {
      await destroy();
      throw err;
    }
  }

  return {
    hosts,
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`LAN has no host ${name}`);
      return h;
    },
    bridgeNs,
    exec: (ns, argv) => runOk(argv, { netns: ns }),
    run: (ns, argv) => run(argv, { netns: ns }),
    prefix: (ns) => ['ip', 'netns', 'exec', ns],
    reachable,
    destroy,
  };
}
