// The session table of `bgp-speaker status`, in the manner of
// `birdc show protocols` and `gobgp neighbor`: one row per session, columns
// NAME PEER AS STATE SINCE ADV RCV LAST-ERROR, left-aligned and padded to the
// widest cell. Pure: text in, text out.

import type { AdminStatus } from './types.js';

/** Seconds as a short human duration: 42s, 5m12s, 3h04m, 2d07h. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Text aligned in columns, two spaces apart; the last column is not padded. */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n') + '\n';
}

/** The table for a /status document. A session without an error shows "-". */
export function formatStatusTable(status: AdminStatus): string {
  const rows: string[][] = [['NAME', 'PEER', 'AS', 'STATE', 'SINCE', 'ADV', 'RCV', 'LAST-ERROR']];
  for (const s of status.sessions) {
    const peer = s.peerPort === 179 ? s.peerAddress : s.peerAddress.includes(':') ? `[${s.peerAddress}]:${s.peerPort}` : `${s.peerAddress}:${s.peerPort}`;
    rows.push([
      s.name,
      peer,
      String(s.peerAs),
      s.state,
      formatDuration(s.secondsInState),
      String(s.advertisedPrefixes),
      String(s.receivedPrefixes),
      (s.lastError ?? '-').replace(/\s+/g, ' '),
    ]);
  }
  let text = alignColumns(rows);
  if (status.sessions.length === 0) text += `(node ${status.node} runs no BGP session)\n`;
  for (const p of status.problems ?? []) text += `problem: ${p}\n`;
  return text;
}
