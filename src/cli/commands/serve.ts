import cluster from 'node:cluster';
import type { Command } from 'commander';
import { UsageError, run, type CliContext } from '../context.ts';

/** How long the supervisor waits for a stopping web process beyond its drain: above the web role's own close timeout (15 s). */
const STOP_GRACE_MS = 20_000;

/**
 * The web role alone (DESIGN §1): stateless, run N of them behind a load balancer. On each node it
 * runs WEB_CONCURRENCY web processes (default: one per core) under a small supervisor
 * (src/platform/web-cluster.ts); WEB_CONCURRENCY=1 is one process, as before.
 */
export function registerServe(program: Command, cli: CliContext): void {
  program
    .command('serve')
    .description('run the web role: HTTP for every app on HOST:PORT, in WEB_CONCURRENCY processes (default: one per core; migrate first with `marg migrate`)')
    .action(() =>
      run(async () => {
        let config = cli.loadConfig();
        if (!config.appKey) throw new UsageError('APP_KEY is not set: run `marg key:generate`, or set APP_KEY (or APP_KEY_FILE) in the environment');
        const logger = cli.logger(config);
        const { reportWebReady, superviseWebProcesses, webProcessNumber } = await import('../../platform/web-cluster.ts');
        if (cluster.isPrimary && config.webConcurrency > 1) {
          const code = await superviseWebProcesses({
            processes: config.webConcurrency,
            logger,
            stopTimeoutMs: config.http.drainSeconds * 1000 + STOP_GRACE_MS,
          });
          logger.flush();
          process.exit(code);
        }
        const [{ runRoles }, { webRole }] = await Promise.all([import('../../platform/boot.ts'), import('../../platform/web-role.ts')]);
        const number = webProcessNumber();
        // X-Marg-Node (MARG_NODE_HEADER) names the process too: web-1/2 is process 2 of node web-1.
        if (number !== undefined && config.nodeName !== undefined) config = { ...config, nodeName: `${config.nodeName}/${number}` };
        let port = config.port;
        await runRoles({
          apps: cli.apps,
          config,
          logger,
          roles: [webRole((bound) => (port = bound))],
          metricsRole: 'web',
          // One metrics endpoint per node: the first web process serves it.
          metrics: number === undefined || number === 1,
          migrations: 'require',
          signals: number === undefined ? 'interactive' : 'supervised',
          onReady: () => reportWebReady(port),
          onSignal: (signal) => logger.info({ signal }, 'draining'),
        });
      }),
    );
}
