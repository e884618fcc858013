import type { Kysely } from 'kysely';

/** SQL dialects Marg's migrations and queries are written to stay portable across. */
export type SqlDialect = 'sqlite' | 'mysql' | 'pgsql';

/** One logical database (an app's own, or the shared RBAC one) behind a driver. */
export interface DatabaseConnection<DB = unknown> {
  readonly name: string;
  readonly dialect: SqlDialect;
  readonly db: Kysely<DB>;
  /** A round trip to the server (or file), for health checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface MigrationContext {
  readonly dialect: SqlDialect;
}

/** Kysely migrations see the database untyped: the schema is what they create. */
export interface Migration {
  up(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
  down?(db: Kysely<unknown>, ctx: MigrationContext): Promise<void>;
}

/** Migrations keyed by name; names sort in the order they run (`2026_11_22_0001_create_tasks`). */
export type MigrationSet = Readonly<Record<string, Migration>>;
