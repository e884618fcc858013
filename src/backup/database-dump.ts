import type { Readable } from 'node:stream';

/** One database's consistent copy, being read. */
export interface DatabaseSnapshot {
  readonly stream: Readable;
  /** Uncompressed size when known up front (a SQLite copy), for the progress bar. */
  readonly size: number | undefined;
  /** Names of the migrations that had run in the copy. */
  migrations(): Promise<string[]>;
  /** Removes temp files; called whether the copy was read to the end or not. */
  cleanup(): Promise<void>;
}

/** Backup and restore of one database on one driver: sqlite-dump.ts, mysql-dump.ts, pgsql-dump.ts. */
export interface DatabaseDumper {
  readonly driver: 'sqlite' | 'mysql' | 'pgsql';
  /** File name suffix of the part, before `.gz`: `sqlite` or `sql`. */
  readonly format: string;
  /** A copy of the whole database at one point in time, even while it is being written to. */
  snapshot(): Promise<DatabaseSnapshot>;
  /** True when the database has no tables (or does not exist): restoring over it loses nothing. */
  isEmpty(): Promise<boolean>;
  /** Replaces the whole database (every table, the migrations table included) with the copy. */
  restore(copy: Readable): Promise<void>;
}

/** The migrations table's name (src/database/migrator.ts). */
export const MIGRATIONS_TABLE = 'marg_migrations';
