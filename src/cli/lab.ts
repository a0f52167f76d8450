// `bgp-speaker lab`: being written (placeholder registered so the entry point builds).
import type { Command } from 'commander';

export function registerLab(program: Command): void {
  program.command('lab').description('not yet available').action(() => {
    process.stderr.write('bgp-speaker lab: not yet available in this build\n');
    process.exitCode = 2;
  });
}
