// The `floor` sender of `npm run bench`: the least a sender can do. Before
// it connects, it packs the whole table into UPDATEs (our packer, so the
// bytes are those ours-core sends); once the session is up it hands them to
// the kernel in one write and does nothing else. What the receiver then
// takes to hold every route is its own time, with no sender work to share
// the machine with: the floor under every sender's Established -> all routes.
// Not a BGP speaker: no hold timer, no KEEPALIVEs after the first, one
// family (IPv4 unicast). Not a test file.
//
//   node dist/bench/floor-sender.js FILE
//   FILE: JSON { localAddress, peerAddress, ports: number[], localAs, peerAs, routerId, routes: RouteSpec[] }
//   stdout: a JSON line per event: packed (octets, ms), established (port), written (port, ms)

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { sessionPackContext } from '../src/bgp/advertiser.js';
import { RouteTable } from '../src/bgp/routes.js';
import type { RouteSpec } from '../src/bgp/types.js';
import { buildOpen } from '../src/bgp/negotiate.js';
import { Framer, MessageType, encodeEndOfRib, encodeKeepalive, encodeOpen } from '../src/bgp/wire/index.js';
import { packInitialTable } from './lib/pack.js';

interface FloorSpec {
  readonly localAddress: string;
  readonly peerAddress: string;
  readonly ports: readonly number[];
  readonly localAs: number;
  readonly peerAs: number;
  readonly routerId: string;
  readonly routes: readonly RouteSpec[];
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FloorSpec;
const out = (o: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

/** Every UPDATE of the table and the End-of-RIB, back to back: what the advertiser would write on this session. */
function packTable(): Buffer {
  const table = new RouteTable();
  table.set(spec.routes);
  const ctx = sessionPackContext(spec.localAs, spec.peerAs, { as4: true, extendedMessage: false });
  return Buffer.concat([...packInitialTable(table, ctx), encodeEndOfRib(1, 1)]);
}

const t0 = performance.now();
const table = packTable();
out({ event: 'packed', octets: table.length, ms: Math.round(performance.now() - t0) });

// Our speaker's OPEN without graceful restart; whether the peer takes extended
// messages does not matter: the table is packed into messages of 4096 octets or less.
const open = encodeOpen(
  buildOpen({ localAs: spec.localAs, routerId: spec.routerId, holdTime: 90, families: ['ipv4'], gracefulRestart: { enabled: false, restartTime: 0 }, restarting: false }),
);

for (const port of spec.ports) {
  const sock = connect({ host: spec.peerAddress, port, localAddress: spec.localAddress });
  sock.setNoDelay(true);
  const framer = new Framer();
  let up = false;
  sock.on('connect', () => sock.write(open));
  sock.on('data', (chunk: Buffer) => {
    framer.push(chunk);
    for (let f = framer.next(); f; f = framer.next()) {
      if (f.type === MessageType.OPEN) sock.write(encodeKeepalive());
      else if (f.type === MessageType.KEEPALIVE && !up) {
        up = true;
        const at = performance.now();
        out({ event: 'established', port });
        sock.write(table, () => out({ event: 'written', port, ms: Math.round(performance.now() - at) }));
      } else if (f.type === MessageType.NOTIFICATION) {
        out({ event: 'notification', port, code: f.body[0], subcode: f.body[1] });
        process.exit(1);
      }
    }
  });
  sock.on('error', (err) => {
    out({ event: 'error', port, message: err.message });
    process.exit(1);
  });
}
