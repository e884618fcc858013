import type { Command } from 'commander';
import { urlHost } from '../../support/host.ts';
import { UsageError, run, type CliContext } from '../context.ts';

/**
 * Asks a running node for /health: for container HEALTHCHECKs and operators. With METRICS_PORT
 * set it asks the metrics port, which gives the details (drivers, databases, node, pid, uptime);
 * the app port (or --url) says only the status.
 */
export function registerHealth(program: Command, cli: CliContext): void {
  program
    .command('health')
    .description("print a running node's /health and exit 1 unless it is healthy")
    .option('--url <url>', 'base URL of the node (default: http://METRICS_HOST:METRICS_PORT when set, for the details; else http://HOST:PORT)')
    .action((options: { url?: string }) =>
      run(async () => {
        const config = cli.loadConfig();
        const local = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
        // The metrics port (internal) answers /health with the details; the app port only with the status.
        const metricsPort = config.metrics.port !== undefined && config.metrics.port !== 0 ? config.metrics.port : undefined;
        const base =
          options.url ??
          (metricsPort !== undefined ? `http://${urlHost(local(config.metrics.host))}:${metricsPort}` : `http://${urlHost(local(config.host))}:${config.port}`);
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
