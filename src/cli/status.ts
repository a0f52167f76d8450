// `bgp-speaker status`: reads the local admin endpoint's /status and prints
// the session table (src/admin/table.ts), or the JSON with `-o json`.
// An unreachable endpoint is one clear line on stderr and exit 1.

import type { Command } from 'commander';
import { DEFAULT_ADMIN_ADDRESS, formatHostPort, parseAdminAddress } from '../admin/server.js';
import { formatStatusTable } from '../admin/table.js';
import type { AdminStatus } from '../admin/types.js';

/** Fetches /status; throws an Error whose message is fit for the user. */
export async function fetchStatus(address: { address: string; port: number }, timeoutMs = 5000): Promise<AdminStatus> {
  const where = formatHostPort(address.address, address.port);
  let res: Response;
  try {
    res = await fetch(`http://${where}/status`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new Error(`cannot reach the admin endpoint at ${where} (${why}); is bgp-speaker running, with this --admin-address?`);
  }
  if (!res.ok) throw new Error(`the admin endpoint at ${where} answered HTTP ${res.status} for /status`);
  try {
    return (await res.json()) as AdminStatus;
  } catch {
    throw new Error(`the admin endpoint at ${where} sent something that is not JSON`);
  }
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('print the BGP sessions of the local speaker (from its admin endpoint)')
    .option('--admin-address <host:port>', 'admin endpoint of the running speaker', DEFAULT_ADMIN_ADDRESS)
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (opts: { adminAddress: string; output: string }) => {
      if (opts.output !== 'table' && opts.output !== 'json') {
        process.stderr.write(`bgp-speaker status: -o ${opts.output}: expected table or json\n`);
        process.exitCode = 1;
        return;
      }
      let address: { address: string; port: number } | null;
      try {
        address = parseAdminAddress(opts.adminAddress);
      } catch (err) {
        process.stderr.write(`bgp-speaker status: --admin-address: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      if (!address) {
        process.stderr.write('bgp-speaker status: --admin-address is off; nothing to ask\n');
        process.exitCode = 1;
        return;
      }
      try {
        const status = await fetchStatus(address);
        process.stdout.write(opts.output === 'json' ? JSON.stringify(status, null, 2) + '\n' : formatStatusTable(status));
      } catch (err) {
        process.stderr.write(`bgp-speaker status: ${(err as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
