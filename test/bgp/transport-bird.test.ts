// Interop of our TCP MD5 signing (RFC 2385) with BIRD 2: a passive BIRD on
// loopback with `password` accepts our keyed connection and sends its OPEN
// (RFC 4271 §4.2); a wrong password never gets past the SYN.

import test, { type ExecutionContext } from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { dial, DialError } from '../../src/bgp/transport.js';
import { md5Supported } from '../../src/bgp/tcp-md5.js';
import { requirePeer, serialTestWithPeer } from '../peers/available.js';
import { BIRD_BIN, BIRDC_BIN } from '../peers/bird.js';
import { freePort } from '../peers/proc.js';

// TCP MD5 is Linux only (test/bgp/tcp-md5.test.ts fails on Linux without
// it); a missing BIRD skips these on a laptop and fails them in CI.
const withBird = serialTestWithPeer('bird');
const run = md5Supported() ? withBird : (test.serial.skip as unknown as typeof withBird);
const execFileP = promisify(execFile);

interface Bird {
  control: string;
  protocolInfo(): Promise<string>;
}

/** Starts BIRD in the foreground with one passive eBGP protocol; stopped by PID at teardown. */
async function startBird(t: ExecutionContext, port: number, password: string): Promise<Bird> {
  const dir = mkdtempSync(join(tmpdir(), 'bird-md5-'));
  const config = join(dir, 'bird.conf');
  const control = join(dir, 'bird.ctl');
  writeFileSync(
    config,
    [
      'log stderr all;',
      'router id 127.0.0.1;',
      'protocol device {}',
      'protocol bgp edge {',
      `  local 127.0.0.1 port ${port} as 65001;`,
      '  neighbor 127.0.0.2 as 65010;',
      '  multihop 2;',
      '  strict bind on;',
      '  passive on;',
      `  password "${password}";`,
      '  ipv4 { import none; export none; };',
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn(BIRD_BIN, ['-f', '-c', config, '-s', control, '-P', join(dir, 'bird.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  t.teardown(async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const bird: Bird = {
    control,
    async protocolInfo() {
      const { stdout } = await execFileP(BIRDC_BIN, ['-s', control, 'show', 'protocols', 'all', 'edge']);
      return stdout;
    },
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`bird exited: ${stderr}`);
    if (existsSync(control)) {
      try {
        if (/BGP state:\s+Passive/.test(await bird.protocolInfo())) return bird;
      } catch {
        // control socket not answering yet
      }
    }
    await sleep(50);
  }
  throw new Error(`bird did not come up: ${stderr}`);
}

function readMessage(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // RFC 4271 §4.1: 16-byte marker, 2-byte length, 1-byte type.
      if (buf.length >= 19 && buf.length >= buf.readUInt16BE(16)) resolve(buf.subarray(0, buf.readUInt16BE(16)));
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before a whole message arrived')));
  });
}

run('BIRD with a password accepts our MD5-signed connection and sends its OPEN', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const portA = await freePort();
  const bird = await startBird(t, portA, 'bird-secret 1');
  const socket = await dial({ host: '127.0.0.1', port: portA, localAddress: '127.0.0.2', md5Key: 'bird-secret 1', timeoutMs: 5000 });
  t.teardown(() => socket.destroy());
  const open = await readMessage(socket);
  t.true(open.subarray(0, 16).equals(Buffer.alloc(16, 0xff)), 'marker');
  t.is(open[18], 1, 'type OPEN');
  t.is(open[19], 4, 'version 4');
  t.is(open.readUInt16BE(20), 65001, 'my AS');
  t.is([...open.subarray(24, 28)].join('.'), '127.0.0.1', 'BGP Identifier');
  t.regex(await bird.protocolInfo(), /BGP state:\s+OpenSent/);
});

run('BIRD with a different password never answers our SYN', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const portB = await freePort();
  const bird = await startBird(t, portB, 'bird-secret 2');
  const err = await t.throwsAsync(
    dial({ host: '127.0.0.1', port: portB, localAddress: '127.0.0.2', md5Key: 'not the password', timeoutMs: 1500 }),
    { instanceOf: DialError },
  );
  t.is(err.kind, 'timeout');
  t.is(err.message, `no answer from 127.0.0.1:${portB} within 1.5 s (TCP MD5 key mismatch or peer unreachable?)`);
  t.regex(await bird.protocolInfo(), /BGP state:\s+Passive/);
});

run('BIRD with a password ignores an unsigned connection from the configured neighbor', async (t) => {
  if (!requirePeer(t, 'bird')) return;
  const portC = await freePort();
  const bird = await startBird(t, portC, 'bird-secret 3');
  const err = await t.throwsAsync(dial({ host: '127.0.0.1', port: portC, localAddress: '127.0.0.2', timeoutMs: 1000 }), { instanceOf: DialError });
  t.is(err.kind, 'timeout');
  t.regex(await bird.protocolInfo(), /BGP state:\s+Passive/);
});
