// The status table of `bgp-speaker status`: durations in human form and
// columns aligned to the widest cell, like `birdc show protocols`.

import test from 'ava';
import { alignColumns, formatDuration, formatStatusTable } from '../../src/admin/table.js';
import type { AdminSession, AdminStatus } from '../../src/admin/types.js';

function session(over: Partial<AdminSession>): AdminSession {
  return {
    name: 'peer', peerAddress: '172.16.0.1', peerPort: 179, peerAs: 65001, localAs: 65010,
    state: 'Established', since: '2024-01-01T00:00:00.000Z', secondsInState: 312, capabilities: [],
    advertisedPrefixes: 3, receivedPrefixes: 0, establishedCount: 1, ...over,
  };
}

test('durations print as seconds, minutes, hours and days with two-digit remainders', (t) => {
  t.is(formatDuration(0), '0s');
  t.is(formatDuration(59.9), '59s');
  t.is(formatDuration(312), '5m12s');
  t.is(formatDuration(3600 + 4 * 60 + 9), '1h04m');
  t.is(formatDuration(2 * 86400 + 7 * 3600 + 59), '2d07h');
  t.is(formatDuration(-5), '0s');
});

test('columns are padded to the widest cell and the last one is not padded', (t) => {
  t.is(alignColumns([['A', 'BB', 'C'], ['aaa', 'b', 'c']]), 'A    BB  C\naaa  b   c\n');
});

test('the table has one row per session with peer, AS, state, since, counts and last error', (t) => {
  const status: AdminStatus = {
    node: 'node-1',
    sessions: [
      session({}),
      session({ name: 'lab-switch-b', peerAddress: '127.0.0.1', peerPort: 1179, peerAs: 4200000000, state: 'Active',
        secondsInState: 7, advertisedPrefixes: 0, lastError: 'connection refused by 127.0.0.1:1179' }),
      session({ name: 'v6', peerAddress: 'fd00::1', peerPort: 1179, state: 'Idle', secondsInState: 90000 }),
    ],
  };
  const text = formatStatusTable(status);
  t.is(text, [
    'NAME          PEER            AS          STATE        SINCE  ADV  RCV  LAST-ERROR',
    'peer          172.16.0.1      65001       Established  5m12s  3    0    -',
    'lab-switch-b  127.0.0.1:1179  4200000000  Active       7s     0    0    connection refused by 127.0.0.1:1179',
    'v6            [fd00::1]:1179  65001       Idle         1d01h  3    0    -',
    '',
  ].join('\n'));
});

test('a node without sessions says so, and configuration problems follow the table', (t) => {
  const text = formatStatusTable({ node: 'node-9', sessions: [], problems: ['BGPPeer p: spec.peerIP: is missing (required)'] });
  t.deepEqual(text.split('\n'), [
    'NAME  PEER  AS  STATE  SINCE  ADV  RCV  LAST-ERROR',
    '(node node-9 runs no BGP session)',
    'problem: BGPPeer p: spec.peerIP: is missing (required)',
    '',
  ]);
});
