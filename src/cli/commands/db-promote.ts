import type { Command } from 'commander';
import type { HostPort } from '../../database/settings.ts';
import { UsageError, run, type CliContext } from '../context.ts';

/**
 * `marg db:promote --replica host:port [--old-primary host:port]`: the MariaDB failover step
 * (src/database/promote.ts). It changes the servers only; the nodes follow when DB_HOST is
 * changed and they are restarted (docs/operations.md "Failover").
 */
export function registerDbPromote(program: Command, cli: CliContext): void {
  program
    .command('db:promote')
    .description('make a MariaDB replica the primary (fences the old primary first when it answers)')
    .requiredOption('--replica <host:port>', 'the replica to promote')
    .option('--old-primary <host:port>', 'the current primary: made read-only and waited for when it still answers (default: DB_HOST:DB_PORT)')
    .option('--no-fence', 'do not try the old primary (it is known dead)')
    .option('--timeout <seconds>', 'how long to wait for the replica to catch up', '60')
    .action((options: { replica: string; oldPrimary?: string; fence: boolean; timeout: string }) =>
      run(async () => {
        const config = cli.loadConfig();
        const platform = config.databases.platform;
        if (!platform || platform.connection !== 'mysql') throw new UsageError('db:promote promotes MariaDB/MySQL replicas (DB_CONNECTION=mysql); for PostgreSQL use `pg_ctl promote` or your provider');
        const timeout = Number(options.timeout);
        if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got ${options.timeout}`);
        const replica = hostPort(options.replica, '--replica');
        const oldPrimary = options.fence ? (options.oldPrimary ? hostPort(options.oldPrimary, '--old-primary') : { host: platform.host, port: platform.port }) : undefined;
        const say = (line: string) => process.stdout.write(`${line}\n`);
        const { promoteReplica, PromoteError } = await import('../../database/promote.ts');
        try {
          const report = await promoteReplica({ replica, oldPrimary, user: platform.user, password: platform.password, timeoutMs: timeout * 1000 }, say);
          say(`Promoted in ${report.tookMs} ms (old primary: ${report.fenced}).`);
          say(`Next: set DB_HOST=${replica.host} DB_PORT=${replica.port} (and drop it from DB_READ_HOSTS) for every node, then restart them (\`marg cluster roll\`).`);
        } catch (error) {
          if (error instanceof PromoteError) throw new UsageError(error.message);
          throw error;
        }
      }),
    );
}

function hostPort(value: string, option: string): HostPort {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new UsageError(`${option} must be host:port, got "${value}"`);
  return { host: match[1]!, port };
}
