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

export async function main(argv: string[]): Promise<void> {
  const program = new Command('marg')
    .description('Marg: accounts, flow and links on one platform, from one laptop to a cluster.\nConfiguration comes from the environment, .env.shared and .env (see README).')
    .showHelpAfterError()
    .exitOverride((error) => {
      // commander's own usage errors exit 2, like our UsageError.
      process.exit(error.exitCode === 0 ? 0 : 2);
    });
  for (const register of [registerStart, registerServe, registerMigrate, registerKeyGenerate, registerUserCommands, registerHealth, registerWork, registerQueueCommands, registerSchedule, registerMaintenance, registerCluster]) register(program);
  await program.parseAsync(argv);
}
