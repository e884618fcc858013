import type { Command } from 'commander';
import { run, type CliContext } from '../context.ts';

export function registerMigrate(program: Command, cli: CliContext): void {
  program
    .command('migrate')
    .description("bring every database (the shared RBAC one and each app's) up to date, and sync the apps' roles")
    .option('--status', 'list each migration and whether it has run, without changing anything')
    .action((options: { status?: boolean }) =>
      run(() =>
        cli.withServices(async (services) => {
          const [{ createMissingDatabases }, { migrateAll, statusAll }] = await Promise.all([import('../../platform/connectivity.ts'), import('../../platform/migrate.ts')]);
          if (options.status) {
            for (const { database, migrations } of await statusAll(services, cli.apps)) {
              process.stdout.write(`${database}\n`);
              for (const m of migrations) process.stdout.write(`  ${m.executedAt ? `ran ${m.executedAt.toISOString()}` : 'pending'.padEnd(28)}  ${m.name}\n`);
              if (migrations.length === 0) process.stdout.write('  (no migrations)\n');
            }
            return;
          }
          for (const name of await createMissingDatabases(services.config)) process.stdout.write(`created database ${name}\n`);
          const report = await migrateAll(services, cli.apps);
          for (const a of report.applied) process.stdout.write(`migrated ${a.database}/${a.migration}\n`);
          if (report.applied.length === 0) process.stdout.write('Nothing to migrate.\n');
          if (report.rolesChanged) process.stdout.write('Roles and permissions synced.\n');
        }),
      ),
    );
}
