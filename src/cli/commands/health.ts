import type { Command } from 'commander';
import { urlHost } from '../../support/host.ts';
import { UsageError, run, type CliContext } from '../context.ts';

/** Asks a running node for /health: for container HEALTHCHECKs and operators. */
export function registerHealth(program: Command, cli: CliContext): void {
  program
    .command('health')
    .description("print a running node's /health and exit 1 unless it is healthy")
    .option('--url <url>', 'base URL of the node (default: http://HOST:PORT)')
    .action((options: { url?: string }) =>
      run(async () => {
        const config = cli.loadConfig();
        const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
        const base = options.url ?? `http://${urlHost(host)}:${config.port}`;
        let response: Response;
        try {
          response = await fetch(new URL('/health', base), { signal: AbortSignal.timeout(5_000) });
        } catch (error) {
          throw new UsageError(`no answer from ${base} (${(error as Error).message})`);
        }
        process.stdout.write(`${JSON.stringify(await response.json(), null, 2)}\n`);
        if (!response.ok) process.exitCode = 1;
      }),
    );
}
