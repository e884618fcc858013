import { type Command, InvalidArgumentError } from 'commander';
import { decodeAppKey } from '../../config/app-key.ts';
import { MAINTENANCE_REFRESH_MS } from '../../maintenance/monitor.ts';
import { BYPASS_LIFETIME_SECONDS, MaintenanceSecrets, SECRET_PATTERN } from '../../maintenance/secrets.ts';
import { UnreachableError } from '../../platform/errors.ts';
import type { Services } from '../../platform/services.ts';
import { positiveInteger } from '../options.ts';
import { UsageError, run, type CliContext } from '../context.ts';

interface DownOptions {
  retry: number;
  secret?: string;
  withSecret?: boolean;
  message?: string;
}

/**
 * `marg down` / `marg up` (Laravel's artisan down/up): maintenance mode for every web node,
 * kept in the shared cache store, so it runs from any machine with the nodes' configuration.
 */
export function registerMaintenance(program: Command, cli: CliContext): void {
  program
    .command('down')
    .description('put every app on every node into maintenance: 503 with Retry-After and a "back soon" page; /health keeps answering')
    .option('--retry <seconds>', 'Retry-After sent to clients', positiveInteger, 60)
    .option('--secret <secret>', 'visiting /<secret> on any app host sets a cookie that lets that browser through (8-128 of A-Z a-z 0-9 . _ ~ -)', secretArgument)
    .option('--with-secret', 'like --secret, with a random secret that is printed')
    .option('--message <text>', 'what the page and the JSON error say (at most 500 characters)', messageArgument)
    .action((options: DownOptions) => run(() => cli.withServices((services) => down(services, options))));

  program
    .command('up')
    .description('end maintenance mode: every node serves again within about a second')
    .action(() =>
      run(() =>
        cli.withServices(async (services) => {
          await assertShared(services);
          const { MaintenanceMode } = await import('../../maintenance/mode.ts');
          const wasDown = await new MaintenanceMode(services.cache).up();
          process.stdout.write(wasDown ? `Marg is up: every node serves again within about ${seconds(MAINTENANCE_REFRESH_MS)}.\n` : 'Marg was not down for maintenance.\n');
        }),
      ),
    );
}

async function down(services: Services, options: DownOptions): Promise<void> {
  if (options.secret && options.withSecret) throw new UsageError('give either --secret or --with-secret, not both');
  await assertShared(services);
  const secret = options.withSecret ? MaintenanceSecrets.generate() : options.secret;
  let secretHash: string | undefined;
  if (secret) {
    const appKey = services.config.appKey;
    if (!appKey) throw new UsageError('--secret needs APP_KEY (the same one the web nodes use): set APP_KEY or APP_KEY_FILE');
    secretHash = new MaintenanceSecrets(decodeAppKey(appKey)).hash(secret);
  }
  const { MaintenanceMode } = await import('../../maintenance/mode.ts');
  await new MaintenanceMode(services.cache).down({
    since: new Date().toISOString(),
    retryAfterSeconds: options.retry,
    ...(options.message !== undefined ? { message: options.message } : {}),
    ...(secretHash !== undefined ? { secretHash } : {}),
  });
  const lines = [`Marg is down for maintenance: every node answers 503 (Retry-After: ${options.retry}) within about ${seconds(MAINTENANCE_REFRESH_MS)}; /health keeps answering.`];
  if (secret) {
    const hours = BYPASS_LIFETIME_SECONDS / 3600;
    lines.push(`To pass, open /${secret} on any app host (e.g. ${services.config.layout.signInApp ?? '<app>'}.${services.config.domain}/${secret}): it sets a cookie valid for ${hours} hours on every app host.`);
  }
  lines.push('Bring it back with `marg up`.');
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The memory cache lives inside one process: a flag written there would reach no node. A Redis that does not answer is named. */
async function assertShared(services: Services): Promise<void> {
  if (services.cache.driver === 'memory') {
    throw new UsageError('CACHE_STORE=memory keeps the maintenance flag inside this command\'s own process, where no web node can see it: use CACHE_STORE=sqlite (one machine) or redis');
  }
  if (services.cache.driver === 'redis' && services.redis) {
    await services.redis.ready().catch((error: unknown) => {
      throw new UnreachableError(`cannot reach Redis for the maintenance flag: ${(error as Error).message} (check REDIS_URL, REDIS_HOST/REDIS_PORT or REDIS_SENTINELS)`);
    });
  }
}

function secretArgument(value: string): string {
  if (!SECRET_PATTERN.test(value)) throw new InvalidArgumentError('must be 8 to 128 characters of A-Z a-z 0-9 . _ ~ -');
  return value;
}

function messageArgument(value: string): string {
  const text = value.trim();
  if (text.length === 0 || text.length > 500) throw new InvalidArgumentError('must be 1 to 500 characters');
  return text;
}

function seconds(ms: number): string {
  return ms === 1000 ? 'a second' : `${ms / 1000} seconds`;
}
