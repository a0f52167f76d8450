// `bgp-speaker validate FILE`: checks a multi-document YAML file of BGPPeer,
// Secret and Node objects offline, with the same checks that guard
// `standalone` and `run` (yaml.ts, validate.ts). Prints one line per problem
// on stdout, naming the object and the field; warnings are prefixed
// "warning: " and do not fail. Exit 0 without errors, 1 with errors (or when
// the file cannot be read).

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isError, type ObjectSet, type Problem } from '../controller/resources.js';
import { validateObjects } from '../controller/validate.js';
import { parseObjects } from '../controller/yaml.js';

/** A problem as one output line. */
export function problemLine(p: Problem): string {
  return isError(p) ? p.line : `warning: ${p.line}`;
}

/** Parse and validation problems of a file's text, parse problems first. */
export function checkText(text: string, source: string): { objects: ObjectSet; problems: Problem[] } {
  const parsed = parseObjects(text, source);
  return { objects: parsed.objects, problems: [...parsed.problems, ...validateObjects(parsed.objects)] };
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a YAML file of BGPPeer, Secret and Node objects offline; one line per problem, exit 1 on errors')
    .argument('<file>', 'multi-document YAML file')
    .action(async (file: string) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        process.stderr.write(`${file}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)}\n`);
        process.exitCode = 1;
        return;
      }
      const { objects, problems } = checkText(text, file);
      if (objects.bgpPeers.length + objects.secrets.length + objects.nodes.length === 0 &&
          !problems.some(isError)) {
        problems.push({
          kind: 'File', name: file, field: '', message: 'no BGPPeer, Secret or Node objects', reason: 'InvalidSpec',
          severity: 'warning', line: `${file}: no BGPPeer, Secret or Node objects`,
        });
      }
      for (const p of problems) process.stdout.write(`${problemLine(p)}\n`);
      const errors = problems.filter(isError).length;
      const warnings = problems.length - errors;
      process.stderr.write(
        `${file}: ${count(objects.bgpPeers.length, 'BGPPeer')}, ${count(objects.secrets.length, 'Secret')}, ` +
          `${count(objects.nodes.length, 'Node')}; ${count(errors, 'error')}, ${count(warnings, 'warning')}\n`,
      );
      process.exitCode = errors > 0 ? 1 : 0;
    });
}
