import { Command } from 'commander';
import { registerBackupCommands } from './commands/backup.ts';
import { registerChaos } from './commands/chaos.ts';
import { registerCluster } from './commands/cluster.ts';
import { registerDbPromote } from './commands/db-promote.ts';
import { registerHealth } from './commands/health.ts';
import { registerKeyGenerate } from './commands/key-generate.ts';
import { registerMaintenance } from './commands/maintenance.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerPlan } from './commands/plan.ts';
import { registerQueueCommands } from './commands/queue.ts';
import { registerRealtime } from './commands/realtime.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerSearchCommands } from './commands/search.ts';
import { registerServe } from './commands/serve.ts';
import { registerStart } from './commands/start.ts';
import { registerUserCommands } from './commands/users.ts';
import { registerWork } from './commands/work.ts';
import { lazyCliContext } from './context.ts';
import type { AppModule } from '../platform/app-module.ts';
import { MARG_VERSION } from '../support/version.ts';

/**
 * The `marg` command for these apps: bin/marg.js passes a loader of the list in apps/index.ts,
 * the one place apps are registered. The commands are registered from light modules; the apps
 * and the platform are imported only when a command's action is about to run, so `--help`,
 * `--version` and usage errors answer at once.
 */
export async function main(argv: string[], loadApps: () => Promise<readonly AppModule[]>): Promise<void> {
  const lazy = lazyCliContext(loadApps);
  const cli = lazy.context;
  const program = new Command('marg')
    .description('Marg: the apps on one platform, from one laptop to a cluster.\nConfiguration comes from the environment, .env.shared and .env (see README).')
    .version(MARG_VERSION, '-V, --version', 'print the version of Marg')
    .showHelpAfterError()
    .exitOverride((error) => {
      // commander's own usage errors exit 2, like our UsageError.
      process.exit(error.exitCode === 0 ? 0 : 2);
    })
    .hook('preAction', async () => {
      try {
        await lazy.load();
      } catch (error) {
        // An app list that cannot run (two apps named alike, a bad name): one line, like a config error.
        process.stderr.write(`marg: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(2);
      }
    });
  for (const register of [registerStart, registerServe, registerMigrate, registerKeyGenerate, registerUserCommands, registerHealth, registerWork, registerRealtime, registerQueueCommands, registerSchedule, registerSearchCommands, registerMaintenance, registerCluster, registerChaos, registerDbPromote, registerBackupCommands, registerPlan]) register(program, cli);
  await program.parseAsync(argv);
}
