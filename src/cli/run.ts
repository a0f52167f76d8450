// `bgp-speaker run`: being written (placeholder registered so the entry point builds).
import type { Command } from 'commander';

export function registerRun(program: Command): void {
  program.command('run').description('not yet available').action(() => {
    process.stderr.write('bgp-speaker run: not yet available in this build\n');
    process.exitCode = 2;
  });
}
