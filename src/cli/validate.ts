// `bgp-speaker validate`: being written (placeholder registered so the entry point builds).
import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program.command('validate').description('not yet available').action(() => {
    process.stderr.write('bgp-speaker validate: not yet available in this build\n');
    process.exitCode = 2;
  });
}
