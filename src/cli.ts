#!/usr/bin/env node
// bgp-speaker: the command-line entry point. Builds the logger, clock and
// clients from flags and environment (read here and nowhere else) and hands
// them to the command modules in src/cli/.

import { Command } from 'commander';
import { keepYoungGenerationSmall } from './heap.js';
import { registerLab } from './cli/lab.js';
import { registerRun } from './cli/run.js';
import { registerStandalone } from './cli/standalone.js';
import { registerStatus } from './cli/status.js';
import { registerValidate } from './cli/validate.js';

keepYoungGenerationSmall();

const program = new Command();
program
  .name('bgp-speaker')
  .description('BGP speaker for edge Kubernetes clusters: advertises every node\'s pod CIDR to the data-center switch')
  .version('0.1.0');

registerRun(program);
registerStandalone(program);
registerLab(program);
registerStatus(program);
registerValidate(program);

await program.parseAsync(process.argv);
