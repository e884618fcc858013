import type { MigrationSet } from '../database/contract.ts';
import { migrateToLatest, migrationStatus, type MigrationStatus } from '../database/migrator.ts';
import { auditMigrations } from '../auth/audit.ts';
import { rbacMigrations } from '../auth/rbac-schema.ts';
import type { AppModule } from './app-module.ts';
import { appDatabase, appLayout } from './app-registry.ts';
import { platformMigrations } from './platform-schema.ts';
import type { Services } from './services.ts';

/**
 * Which migrations belong to which database: the platform's, the shared RBAC one (with the
 * audit log when no app keeps it), then each app's.
 */
export function migrationPlan(apps: readonly AppModule[]): { database: string; migrations: MigrationSet }[] {
  const auditInRbac = appLayout(apps).auditDatabase === 'rbac';
  return [
    { database: 'platform', migrations: platformMigrations },
    { database: 'rbac', migrations: auditInRbac ? { ...rbacMigrations, ...auditMigrations } : rbacMigrations },
    // An app without tables (ops) that names another app's database adds nothing to its plan.
    ...apps.filter((a) => Object.keys(a.migrations).length > 0).map((a) => ({ database: appDatabase(a), migrations: a.migrations })),
  ];
}

export interface MigrateReport {
  readonly applied: { database: string; migration: string }[];
  readonly rolesChanged: boolean;
}

/** Brings every database up to date, then makes the stored roles match the apps' declarations. */
export async function migrateAll(services: Services, apps: readonly AppModule[]): Promise<MigrateReport> {
  const applied: MigrateReport['applied'] = [];
  for (const { database, migrations } of migrationPlan(apps)) {
    const outcome = await migrateToLatest(services.databases.get(database), migrations);
    applied.push(...outcome.applied.map((migration) => ({ database, migration })));
    if (outcome.error) throw new Error(`migrating database "${database}" failed: ${outcome.error.message}`, { cause: outcome.error });
  }
  const rolesChanged = await services.rbac.syncDefinitions(Object.fromEntries(apps.map((a) => [a.name, a.permissions])));
  return { applied, rolesChanged };
}

export async function statusAll(services: Services, apps: readonly AppModule[]): Promise<{ database: string; migrations: MigrationStatus[] }[]> {
  const out = [];
  for (const { database, migrations } of migrationPlan(apps)) {
    out.push({ database, migrations: await migrationStatus(services.databases.get(database), migrations) });
  }
  return out;
}

/** `database/migration` names not yet run: commands that need the schema refuse to start while any are. */
export async function pendingMigrations(services: Services, apps: readonly AppModule[]): Promise<string[]> {
  return (await statusAll(services, apps)).flatMap((d) => d.migrations.filter((m) => !m.executedAt).map((m) => `${d.database}/${m.name}`));
}
