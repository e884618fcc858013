import type { Command } from 'commander';
import { generateAppKey, writeAppKey } from '../../config/app-key.ts';
import { UsageError, run } from '../context.ts';

export function registerKeyGenerate(program: Command): void {
  program
    .command('key:generate')
    .description('create APP_KEY (encrypts sessions) and write it to .env; every node of a cluster needs the same key')
    .option('--show', 'print a new key instead of writing .env')
    .action((options: { show?: boolean }) =>
      run(async () => {
        if (options.show) {
          process.stdout.write(`${generateAppKey()}\n`);
          return;
        }
        try {
          writeAppKey(process.cwd());
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        process.stdout.write('APP_KEY written to .env\n');
      }),
    );
}
