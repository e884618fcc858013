import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { DatabaseConnection, MigrationSet } from './contract.ts';

export interface MigrationStatus {
  readonly name: string;
  readonly executedAt: Date | undefined;
}

export interface MigrationOutcome {
  readonly applied: string[];
  readonly error: Error | undefined;
}

// Kysely's own table names are kept out of the apps' namespaces.
const TABLES = { migrationTableName: 'marg_migrations', migrationLockTableName: 'marg_migrations_lock' };

function migratorFor(connection: DatabaseConnection, migrations: MigrationSet): Migrator {
  const ctx = { dialect: connection.dialect };
  const db = connection.db as Kysely<unknown>;
  return new Migrator({
    db,
    ...TABLES,
    provider: {
      async getMigrations() {
        return Object.fromEntries(
          Object.entries(migrations).map(([name, m]) => [
            name,
            {
              up: (tx: Kysely<unknown>) => m.up(tx, ctx),
              ...(m.down ? { down: (tx: Kysely<unknown>) => m.down!(tx, ctx) } : {}),
            },
          ]),
        );
      },
    },
  });
}

/** Runs pending migrations; Kysely's lock table keeps concurrent runs (several nodes booting) safe. */
export async function migrateToLatest(connection: DatabaseConnection, migrations: MigrationSet): Promise<MigrationOutcome> {
  const { error, results } = await migratorFor(connection, migrations).migrateToLatest();
  return {
    applied: (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName),
    error: error === undefined ? undefined : error instanceof Error ? error : new Error(String(error)),
  };
}

export async function migrationStatus(connection: DatabaseConnection, migrations: MigrationSet): Promise<MigrationStatus[]> {
  const infos = await migratorFor(connection, migrations).getMigrations();
  return infos.map((i) => ({ name: i.name, executedAt: i.executedAt }));
}
