// The machine a benchmark ran on, for the report: CPU model, cores, RAM,
// kernel, Node.js and the peer daemons' versions.

import { cpus, totalmem, release } from 'node:os';
import { spawnSync } from 'node:child_process';

function firstLine(argv: string[], pick: (out: string) => string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 5000 });
  if (r.error) return 'not installed';
  return pick(`${r.stdout ?? ''}${r.stderr ?? ''}`.trim()) || 'unknown';
}

export interface Machine {
  cpu: string;
  cores: number;
  ramGb: number;
  kernel: string;
  node: string;
  bird: string;
  gobgp: string;
  frr: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    ramGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    bird: firstLine(['/usr/sbin/bird', '--version'], (o) => o.split(/\s+/)[2] ?? o),
    gobgp: firstLine(['/usr/bin/gobgpd', '--version'], (o) => o.split(/\s+/)[2] ?? o),
    frr: firstLine(['/usr/lib/frr/bgpd', '--version'], (o) => o.split('\n')[0]!.split(/\s+/)[2] ?? o),
  };
}

export function machineMarkdown(m: Machine): string {
  return [
    `- CPU: ${m.cpu}, ${m.cores} cores; RAM ${m.ramGb} GB; kernel ${m.kernel}`,
    `- Node.js ${m.node}; BIRD ${m.bird}; GoBGP ${m.gobgp}; FRR ${m.frr}`,
  ].join('\n');
}
