import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import type { DatabaseConnection, MigrationSet, SqlDialect } from './contract.ts';
import { withDatabaseLock } from './database-lock.ts';

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

function migratorFor(db: Kysely<unknown>, dialect: SqlDialect, migrations: MigrationSet): Migrator {
  const ctx = { dialect };
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

/**
 * Runs pending migrations. Nodes that boot together take turns: the whole run (Kysely creating
 * its own tables included, which its lock does not cover) holds a database lock.
 */
export async function migrateToLatest<DB>(connection: DatabaseConnection<DB>, migrations: MigrationSet): Promise<MigrationOutcome> {
  const { error, results } = await withDatabaseLock(connection, 'marg_migrate', (db) =>
    migratorFor(db as Kysely<unknown>, connection.dialect, migrations).migrateToLatest(),
  );
  return {
    applied: (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName),
    error: error === undefined ? undefined : error instanceof Error ? error : new Error(String(error)),
  };
}

export async function migrationStatus<DB>(connection: DatabaseConnection<DB>, migrations: MigrationSet): Promise<MigrationStatus[]> {
  const infos = await migratorFor(connection.db as Kysely<unknown>, connection.dialect, migrations).getMigrations();
  return infos.map((i) => ({ name: i.name, executedAt: i.executedAt }));
}
