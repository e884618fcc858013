import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../../config/env-files.ts';
import { UnreachableError } from '../../platform/errors.ts';
import { UsageError, run, type CliContext } from '../context.ts';

interface UpFlags {
  web: number;
  workers: number;
  schedulers: number;
  realtime: number;
  lb: 'haproxy' | 'nginx';
  port?: number;
  host?: string;
  ownRedis?: boolean;
  dir?: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `marg cluster up|status|roll|down`: the guides' Phase 3 on one machine, with real processes:
 * a balancer (HAProxy or nginx) in front of N `marg serve`, M `marg work` and `marg schedule`.
 */
export function registerCluster(program: Command, cli: CliContext): void {
  const cluster = program
    .command('cluster')
    .description('run a cluster on this machine: HAProxy or nginx in front of web nodes, workers and schedulers (state, configs and logs in STORAGE_PATH/cluster)');
  const dirOption = () => new Option('--dir <path>', 'state dir (default: STORAGE_PATH/cluster)');

  cluster
    .command('up')
    .description('migrate, start the web nodes, workers and schedulers on this machine, then the balancer in front of the web nodes')
    .option('--web <n>', 'web nodes (`marg serve`)', count(1), 3)
    .option('--workers <n>', 'workers (`marg work`)', count(0), 2)
    .option('--schedulers <n>', 'schedulers (`marg schedule`; a lock keeps each tick single)', count(0), 2)
    .option('--realtime <n>', 'realtime nodes (`marg realtime`, BROADCAST_CONNECTION=redis): WebSockets on /app/ and the realtime host', count(0), 0)
    .addOption(new Option('--lb <balancer>', 'load balancer').choices(['haproxy', 'nginx']).default('haproxy'))
    .option('--port <port>', 'where the balancer listens (default: PORT, 8080)', portNumber)
    .option('--host <host>', 'the address the balancer binds (default: HOST, 127.0.0.1)')
    .option('--own-redis', 'start a private redis-server on a free port for sessions, cache, locks, rate limits and the queue')
    .addOption(dirOption())
    .action((flags: UpFlags) =>
      run(() =>
        explained(async () => {
          const [{ clusterUp }, { urlOf }] = await Promise.all([import('../../cluster/up.ts'), import('../../cluster/status.ts')]);
          const { state, dir } = await clusterUp(
            { web: flags.web, workers: flags.workers, schedulers: flags.schedulers, realtime: flags.realtime, balancer: flags.lb, port: flags.port, host: flags.host, ownRedis: flags.ownRedis ?? false, dir: flags.dir, apps: cli.apps },
            say,
          );
          const domain = cli.loadConfig().domain;
          const port = state.balancer.port === 80 ? '' : `:${state.balancer.port}`;
          const count = (role: string, one: string) => {
            const n = state.members.filter((m) => m.role === role).length;
            return `${n} ${one}${n === 1 ? '' : 's'}`;
          };
          say('');
          say(`Marg cluster is running: ${state.balancer.kind} on ${urlOf(state)} in front of ${count('web', 'web node')}, with ${state.members.some((m) => m.role === 'realtime') ? `${count('worker', 'worker')}, ${count('scheduler', 'scheduler')} and ${count('realtime', 'realtime node')}` : `${count('worker', 'worker')} and ${count('scheduler', 'scheduler')}`}.`);
          for (const app of cli.apps) say(`  ${app.title.padEnd(9)} http://${app.name}.${domain}${port}/`);
          say('');
          say(`State, rendered configs and logs: ${dir}`);
          say('`marg cluster status` shows every process, `roll` replaces them one at a time, `down` stops them.');
        }),
      ),
    );

  cluster
    .command('status')
    .description('every process of the cluster: running or not, and its health (exit 1 unless all are healthy)')
    .option('--json', 'print JSON')
    .addOption(dirOption())
    .action((flags: { json?: boolean; dir?: string }) =>
      run(() =>
        explained(async () => {
          const [{ clusterStatus, statusTable }, { clusterDir }] = await Promise.all([import('../../cluster/status.ts'), import('../../cluster/site.ts')]);
          const status = await clusterStatus(clusterDir(cli.loadConfig(), flags.dir));
          if (flags.json) say(JSON.stringify(status, null, 2));
          else process.stdout.write(`${status.url}\n${statusTable(status)}`);
          if (!status.ok) process.exitCode = 1;
        }),
      ),
    );

  cluster
    .command('roll')
    .description('deploy without downtime: migrate, then replace the web nodes one at a time (meanwhile the workers and schedulers), each new one ready before its old one drains and stops')
    .addOption(dirOption())
    .action((flags: { dir?: string }) =>
      run(() =>
        explained(async () => {
          const { clusterRoll } = await import('../../cluster/roll.ts');
          await clusterRoll({ dir: flags.dir, apps: cli.apps }, say);
          say('Roll complete.');
        }),
      ),
    );

  cluster
    .command('down')
    .description('stop everything the cluster started (and nothing else): the balancer, then the members gracefully')
    .addOption(dirOption())
    .action((flags: { dir?: string }) =>
      run(() =>
        explained(async () => {
          const [{ clusterDown }, { describeStop }, { clusterDir }] = await Promise.all([import('../../cluster/down.ts'), import('../../cluster/processes.ts'), import('../../cluster/site.ts')]);
          const stopped = await clusterDown(clusterDir(cli.loadConfig(), flags.dir), (s) => say(`${s.name.padEnd(12)} pid ${s.pid}: ${describeStop(s.outcome)}`));
          say(`Cluster stopped (${stopped.length} processes).`);
        }),
      ),
    );
}

/** Refusals become usage errors (exit 2); any other failure one message without a stack (exit 1). */
async function explained(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const [{ ClusterError }, { ClusterBusyError }] = await Promise.all([import('../../cluster/site.ts'), import('../../cluster/state.ts')]);
    if (error instanceof ClusterError || error instanceof ClusterBusyError) throw new UsageError(error.message);
    if (error instanceof ConfigError || error instanceof UsageError || error instanceof UnreachableError) throw error;
    process.stderr.write(`marg: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

function count(min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > 64) throw new InvalidArgumentError(`must be a whole number from ${min} to 64`);
    return Number(value);
  };
}

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new InvalidArgumentError('must be a port from 1 to 65535');
  return Number(value);
}
