// `bgp-speaker status`: being written (placeholder registered so the entry point builds).
import type { Command } from 'commander';

export function registerStatus(program: Command): void {
  program.command('status').description('not yet available').action(() => {
    process.stderr.write('bgp-speaker status: not yet available in this build\n');
    process.exitCode = 2;
  });
}
