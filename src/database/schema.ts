import { sql, type CreateTableBuilder, type InsertQueryBuilder, type InsertResult, type RawBuilder } from 'kysely';
import type { MigrationContext, SqlDialect } from './contract.ts';

/** An auto-increment integer primary key `id`, spelled the way each dialect wants it. */
export function withId<T extends string>(table: CreateTableBuilder<T, never>, ctx: MigrationContext): CreateTableBuilder<T, 'id'> {
  return ctx.dialect === 'pgsql'
    ? table.addColumn('id', 'serial', (c) => c.primaryKey())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

/**
 * A `varchar(length)` that compares exactly, as SQLite and PostgreSQL do: MySQL/MariaDB's
 * default collation (utf8mb4_unicode_ci) would find 'jose@…' for 'josé@…', 'ss' for 'ß' and
 * 'A' for 'a'. For columns looked up by what a person typed (emails, filters).
 */
export function exactVarchar(length: number, ctx: MigrationContext): RawBuilder<unknown> {
  return ctx.dialect === 'mysql' ? sql.raw(`varchar(${length}) character set utf8mb4 collate utf8mb4_bin`) : sql.raw(`varchar(${length})`);
}

/** Current time as stored in every table: ISO-8601 UTC text, which sorts and compares the same on every dialect. */
export function now(): string {
  return new Date().toISOString();
}

/** Executes an insert and returns the new row's id on every dialect. */
export async function insertGetId<DB, TB extends keyof DB>(
  query: InsertQueryBuilder<DB, TB, InsertResult>,
  dialect: SqlDialect,
): Promise<number> {
  if (dialect === 'pgsql') {
    const row: object = await query.returning(sql<number>`id`.as('id')).executeTakeFirstOrThrow();
    return Number((row as { id: unknown }).id);
  }
  const result = await query.executeTakeFirstOrThrow();
  if (result.insertId === undefined) throw new Error('insert returned no id');
  return Number(result.insertId);
}
