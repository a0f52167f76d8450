// Resource use of a running process from /proc (Linux): peak resident set
// (VmHWM in /proc/<pid>/status) and CPU seconds (utime + stime, fields 14
// and 15 of /proc/<pid>/stat, in clock ticks). Read before the process is
// stopped: the figures vanish with it.

import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticks = 0;
function clockTicks(): number {
  if (ticks === 0) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface Usage {
  /** Peak resident set size, MB (VmHWM). */
  readonly peakRssMb: number;
  /** Current resident set size, MB (VmRSS). */
  readonly rssMb: number;
  /** User + system CPU time, seconds. */
  readonly cpuSeconds: number;
}

export function usage(pid: number): Usage | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after ')' are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return { peakRssMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024, cpuSeconds: (utime + stime) / clockTicks() };
  } catch {
    return null;
  }
}
