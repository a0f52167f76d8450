// Prometheus text exposition (format 0.0.4) of the session table: one gauge
// of the session state with the values of the BGP4-MIB bgpPeerState
// (RFC 4273 §5: idle(1) … established(6)), a counter of Established
// transitions, and prefix counts. Label values are escaped as the format
// requires (backslash, double quote, newline). Never a secret: only names,
// addresses and numbers from AdminStatus go out.

import type { AdminStatus } from './types.js';

/** RFC 4273 bgpPeerState values. */
export const STATE_VALUE: Readonly<Record<string, number>> = {
  Idle: 1,
  Connect: 2,
  Active: 3,
  OpenSent: 4,
  OpenConfirm: 5,
  Established: 6,
};

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The metrics page for a status snapshot. */
export function renderMetrics(status: AdminStatus): string {
  const out: string[] = [];
  const family = (name: string, type: 'gauge' | 'counter', help: string, value: (s: AdminStatus['sessions'][number]) => number) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of status.sessions) {
      const labels = `peer="${escapeLabel(s.name)}",peer_address="${escapeLabel(s.peerAddress)}",peer_as="${s.peerAs}"`;
      out.push(`${name}{${labels}} ${value(s)}`);
    }
  };
  family('bgp_session_state', 'gauge',
    'BGP session state as BGP4-MIB bgpPeerState (RFC 4273): 1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established.',
    (s) => STATE_VALUE[s.state] ?? 0);
  family('bgp_session_established_total', 'counter', 'Times the BGP session reached Established.', (s) => s.establishedCount);
  family('bgp_prefixes_advertised', 'gauge', 'Prefixes currently advertised to the peer.', (s) => s.advertisedPrefixes);
  family('bgp_prefixes_received', 'gauge', 'Prefixes currently received from the peer.', (s) => s.receivedPrefixes);
  return out.join('\n') + '\n';
}
