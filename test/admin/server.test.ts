// The admin endpoint over real HTTP on loopback: health, readiness that
// follows the callback, /status JSON, Prometheus /metrics with escaped
// labels and BGP4-MIB state values, and no secret anywhere.

import test from 'ava';
import { adminSession, parseAdminAddress, startAdmin } from '../../src/admin/server.js';
import { renderMetrics } from '../../src/admin/metrics.js';
import type { AdminStatus } from '../../src/admin/types.js';
import type { SessionStatus } from '../../src/bgp/index.js';
import { silentLogger } from '../../src/log.js';

const established: SessionStatus = {
  name: 'peer',
  peerAddress: '172.16.0.1',
  peerPort: 179,
  peerAs: 65001,
  localAs: 65010,
  localAddress: '172.16.0.11',
  state: 'Established',
  since: Date.parse('2024-05-01T10:00:00Z'),
  peerRouterId: '172.16.0.1',
  negotiated: {
    holdTime: 90, keepaliveTime: 30, as4: true, families: ['ipv4'], routeRefresh: true, extendedMessage: false,
    gracefulRestart: { local: true, peer: true, peerRestartTime: 120, notification: false },
    peerCapabilities: ['as4', 'route-refresh'],
  },
  advertisedPrefixes: 4,
  receivedPrefixes: 1,
  lastError: { reason: 'ConnectRefused', message: 'connection refused by 172.16.0.1:179', at: Date.parse('2024-05-01T09:59:00Z') },
  establishedCount: 2,
};

test('a speaker status maps to an admin session with time in state, hold time, capabilities and last error', (t) => {
  const s = adminSession(established, Date.parse('2024-05-01T10:05:12.900Z'));
  t.is(s.secondsInState, 312);
  t.is(s.since, '2024-05-01T10:00:00.000Z');
  t.is(s.holdTime, 90);
  t.deepEqual(s.capabilities, ['as4', 'ipv4', 'route-refresh', 'graceful-restart']);
  t.deepEqual(s.gracefulRestart, { local: true, peer: true, peerRestartTime: 120, notification: false });
  t.is(s.lastError, 'connection refused by 172.16.0.1:179');
  t.is(s.lastErrorReason, 'ConnectRefused');
  const idle = adminSession({ ...established, state: 'Active' }, established.since);
  t.is(idle.holdTime, undefined);
  t.deepEqual(idle.capabilities, []);
});

test('admin addresses parse as host:port and [v6]:port, and empty or off disables', (t) => {
  t.deepEqual(parseAdminAddress('127.0.0.1:9179'), { address: '127.0.0.1', port: 9179 });
  t.deepEqual(parseAdminAddress('[::1]:8080'), { address: '::1', port: 8080 });
  t.is(parseAdminAddress(''), null);
  t.is(parseAdminAddress('off'), null);
  t.throws(() => parseAdminAddress('127.0.0.1'), { message: /not HOST:PORT/ });
  t.throws(() => parseAdminAddress('host:99999'), { message: /not HOST:PORT/ });
});

test('metrics carry state as bgpPeerState, counters per peer and escaped labels', (t) => {
  const status: AdminStatus = {
    node: 'n',
    sessions: [adminSession(established), adminSession({ ...established, name: 'we"ird\\name', state: 'Connect', establishedCount: 0 })],
  };
  const text = renderMetrics(status);
  t.true(text.includes('bgp_session_state{peer="peer",peer_address="172.16.0.1",peer_as="65001"} 6\n'));
  t.true(text.includes('bgp_session_state{peer="we\\"ird\\\\name",peer_address="172.16.0.1",peer_as="65001"} 2\n'));
  t.true(text.includes('bgp_session_established_total{peer="peer",peer_address="172.16.0.1",peer_as="65001"} 2\n'));
  t.true(text.includes('bgp_prefixes_advertised{peer="peer",peer_address="172.16.0.1",peer_as="65001"} 4\n'));
  t.true(text.includes('bgp_prefixes_received{peer="peer",peer_address="172.16.0.1",peer_as="65001"} 1\n'));
  t.true(text.includes('# TYPE bgp_session_established_total counter\n'));
});

test('the endpoint serves healthz, readyz, status and metrics on loopback', async (t) => {
  let ready = false;
  const status: AdminStatus = { node: 'node-1', sessions: [adminSession(established)] };
  const admin = await startAdmin({ address: '127.0.0.1', port: 0, log: silentLogger(), status: () => status, ready: () => ready });
  t.teardown(() => admin.close());
  const { address, port } = admin.address();
  t.is(address, '127.0.0.1');
  t.true(port > 0);
  const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);

  const h = await get('/healthz');
  t.is(h.status, 200);
  t.is(await h.text(), 'ok\n');
  t.is((await get('/readyz')).status, 503);
  ready = true;
  t.is((await get('/readyz')).status, 200);

  const s = await get('/status');
  t.is(s.status, 200);
  t.regex(s.headers.get('content-type') ?? '', /application\/json/);
  t.deepEqual(await s.json(), JSON.parse(JSON.stringify(status)));

  const m = await get('/metrics');
  t.regex(m.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
  t.regex(await m.text(), /^bgp_session_state\{peer="peer".*\} 6$/m);

  t.is((await get('/nope')).status, 404);
  t.is((await fetch(`http://127.0.0.1:${port}/status`, { method: 'POST' })).status, 405);
});

test('a failing status callback answers 500 and the endpoint keeps serving', async (t) => {
  const admin = await startAdmin({
    address: '127.0.0.1', port: 0, log: silentLogger(), ready: () => true,
    status: () => {
      throw new Error('boom');
    },
  });
  t.teardown(() => admin.close());
  const { port } = admin.address();
  t.is((await fetch(`http://127.0.0.1:${port}/status`)).status, 500);
  t.is((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
});
