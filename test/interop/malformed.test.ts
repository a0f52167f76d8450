// Hostile input against a running speaker process: scripted peers on
// loopback send a bad OPEN, a corrupted UPDATE and a broken header. Each
// must get the NOTIFICATION RFC 4271 §6 prescribes, and the same process
// must keep its session with a real BIRD up and untouched meanwhile.

import net from 'node:net';
import type { SessionSpec } from '../../src/bgp/index.js';
import { buildOpen } from '../../src/bgp/negotiate.js';
import { decodeNotification, encodeKeepalive, encodeOpen, Framer, MessageType } from '../../src/bgp/wire/index.js';
import { freePort, requirePeer, testWithPeer, waitFor, sameSessionSince } from '../peers/index.js';
import { hex, MARKER } from '../bgp/wire/helpers.js';
import { birdPeer, loopbackAddress, startSpeakerProcess } from './util.js';

const birdTest = testWithPeer('bird');

interface Hostile {
  address: string;
  port: number;
  /** The NOTIFICATION the speaker sent back, once it arrives. */
  notification: Promise<{ code: number; subcode: number; data: Uint8Array }>;
  close(): void;
}

/** A peer that answers our OPEN with its own, then does `misbehave`. */
async function hostilePeer(misbehave: (socket: net.Socket) => void): Promise<Hostile> {
  const address = loopbackAddress();
  const port = await freePort();
  let resolve!: (n: { code: number; subcode: number; data: Uint8Array }) => void;
  const notification = new Promise<{ code: number; subcode: number; data: Uint8Array }>((r) => (resolve = r));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const framer = new Framer(4096);
    let acted = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      framer.push(chunk);
      for (let f = framer.next(); f; f = framer.next()) {
        if (f.type === MessageType.NOTIFICATION) resolve(decodeNotification(f.body));
        if (f.type === MessageType.OPEN && !acted) {
          acted = true;
          misbehave(socket);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, address, r));
  return {
    address,
    port,
    notification,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const goodOpen = (as: number, id: string): Buffer =>
  encodeOpen(buildOpen({ localAs: as, routerId: id, holdTime: 90, families: ['ipv4', 'ipv6'], gracefulRestart: { enabled: false, restartTime: 0 }, restarting: false }));

birdTest('hostile peers get the RFC NOTIFICATIONs while the session with BIRD stays up', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  // A real peer whose session must survive everything below.
  const peer = await birdPeer(t);
  const { bird, address: birdAddress, port: birdPort, local } = peer;

  // OPEN with version 3: OPEN Message Error / Unsupported Version Number, data = 4 (RFC 4271 §6.2).
  const badVersion = await hostilePeer((s) => {
    const open = goodOpen(65002, '192.0.2.2');
    open[19] = 3;
    s.write(open);
  });
  // OPEN with hold time 1: Unacceptable Hold Time (§6.2).
  const badHold = await hostilePeer((s) => {
    const open = goodOpen(65003, '192.0.2.3');
    open.writeUInt16BE(1, 22);
    s.write(open);
  });
  // Valid OPEN and KEEPALIVE, then an UPDATE whose NLRI says /33: UPDATE Message Error /
  // Invalid Network Field (§6.3, RFC 7606 §5.3).
  const badNlri = await hostilePeer((s) => {
    s.write(goodOpen(65004, '192.0.2.4'));
    s.write(encodeKeepalive());
    setTimeout(() => {
      // ORIGIN IGP, AS_PATH [65004], NEXT_HOP 192.0.2.4, NLRI 33-bit "prefix".
      const attrs = '40 01 01 00' + '40 02 06 02 01 0000fde4' + '40 03 04 c0000204';
      const body = '0000' + '0014' + attrs.replace(/ /g, '') + '21 0a000001 00';
      const len = 19 + body.replace(/ /g, '').length / 2;
      s.write(hex(MARKER + len.toString(16).padStart(4, '0') + '02' + body));
    }, 200);
  });
  // Valid OPEN, then a message whose marker is not all ones: Connection Not Synchronized (§6.1).
  const badMarker = await hostilePeer((s) => {
    s.write(goodOpen(65005, '192.0.2.5'));
    s.write(hex('00'.repeat(16) + '0013' + '04'));
  });
  t.teardown(() => [badVersion, badHold, badNlri, badMarker].forEach((h) => h.close()));

  const spec = (name: string, address: string, port: number, peerAs: number): SessionSpec => ({
    name,
    peerAddress: address,
    peerPort: port,
    localAddress: local,
    localAs: 65010,
    peerAs,
    routerId: local,
    connectTimeout: 3,
    connectRetryTime: 2,
    routes: [{ prefix: '10.244.1.0/24', nextHop: '127.0.0.11' }],
  });
  const speaker = await startSpeakerProcess([spec('bird', birdAddress, birdPort, 65001)]);
  t.teardown(() => speaker.kill());
  await speaker.waitFor((l) => l.name === 'bird' && l.to === 'Established', 'BIRD session Established');
  const since = (await bird.protocol('ebs')).since;

  speaker.sync([
    spec('bird', birdAddress, birdPort, 65001),
    spec('bad-version', badVersion.address, badVersion.port, 65002),
    spec('bad-hold', badHold.address, badHold.port, 65003),
    spec('bad-nlri', badNlri.address, badNlri.port, 65004),
    spec('bad-marker', badMarker.address, badMarker.port, 65005),
  ]);

  const within = <T,>(p: Promise<T>, what: string): Promise<T> =>
    Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no NOTIFICATION for ${what}`)), 15000))]);
  const v = await within(badVersion.notification, 'bad version');
  t.deepEqual([v.code, v.subcode, [...v.data]], [2, 1, [0, 4]], 'Unsupported Version Number, we support 4');
  const h = await within(badHold.notification, 'bad hold time');
  t.deepEqual([h.code, h.subcode], [2, 6], 'Unacceptable Hold Time');
  const n = await within(badNlri.notification, 'bad NLRI');
  t.deepEqual([n.code, n.subcode], [3, 10], 'Invalid Network Field');
  const m = await within(badMarker.notification, 'bad marker');
  t.deepEqual([m.code, m.subcode], [1, 1], 'Connection Not Synchronized');

  // The reasons reach the state events in words.
  const reason = await speaker.waitFor((l) => l.name === 'bad-nlri' && l.error?.reason === 'NotificationSent', 'bad-nlri reason');
  t.regex(reason.error!.message, /UPDATE Message Error/);

  // Same process, same BIRD session, never reset.
  t.is(speaker.child.exitCode, null, 'the speaker process is still running');
  const proto = await bird.protocol('ebs');
  t.is(proto.bgpState, 'Established');
  t.true(sameSessionSince(proto.since, since), `${since} -> ${proto.since}`);
  await waitFor(async () => (await bird.routes()).some((r) => r.prefix === '10.244.1.0/24'), { what: 'the route still at BIRD' });
});
