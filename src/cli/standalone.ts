// `bgp-speaker standalone`: being written (placeholder registered so the entry point builds).
import type { Command } from 'commander';

export function registerStandalone(program: Command): void {
  program.command('standalone').description('not yet available').action(() => {
    process.stderr.write('bgp-speaker standalone: not yet available in this build\n');
    process.exitCode = 2;
  });
}
