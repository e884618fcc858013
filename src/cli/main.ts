import { Command } from 'commander';
import { registerCluster } from './commands/cluster.ts';
import { registerHealth } from './commands/health.ts';
import { registerKeyGenerate } from './commands/key-generate.ts';
import { registerMaintenance } from './commands/maintenance.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerQueueCommands } from './commands/queue.ts';
import { registerSchedule } from './commands/schedule.ts';
import { registerServe } from './commands/serve.ts';
import { registerStart } from './commands/start.ts';
import { registerUserCommands } from './commands/users.ts';
import { registerWork } from './commands/work.ts';
import { cliContext, type CliContext } from './context.ts';
import type { AppModule } from '../platform/app-module.ts';

/** The `marg` command for these apps: bin/marg.js passes the list in apps/index.ts, the one place apps are registered. */
export async function main(argv: string[], apps: readonly AppModule[]): Promise<void> {
  let cli: CliContext;
  try {
    cli = cliContext(apps);
  } catch (error) {
    // An app list that cannot run (two apps named alike, a bad name): one line, like a config error.
    process.stderr.write(`marg: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const program = new Command('marg')
    .description(`Marg: ${apps.map((a) => a.name).join(', ')} on one platform, from one laptop to a cluster.\nConfiguration comes from the environment, .env.shared and .env (see README).`)
    .showHelpAfterError()
    .exitOverride((error) => {
      // commander's own usage errors exit 2, like our UsageError.
      process.exit(error.exitCode === 0 ? 0 : 2);
    });
  for (const register of [registerStart, registerServe, registerMigrate, registerKeyGenerate, registerUserCommands, registerHealth, registerWork, registerQueueCommands, registerSchedule, registerMaintenance, registerCluster]) register(program, cli);
  await program.parseAsync(argv);
}
