import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SQLite from 'better-sqlite3';
import { openSqliteFile } from '../database/sqlite-file.ts';
import { MIGRATIONS_TABLE, type DatabaseDumper, type DatabaseSnapshot } from './database-dump.ts';

const ALL_PAGES = 0x7fffffff;

/**
 * A SQLite file through SQLite's online backup API (better-sqlite3 `backup()`): the copy is
 * one consistent state of the database even while other connections write to it.
 */
export class SqliteDumper implements DatabaseDumper {
  readonly driver = 'sqlite';
  readonly format = 'sqlite';

  constructor(private readonly file: string) {}

  async snapshot(): Promise<DatabaseSnapshot> {
    const dir = await mkdtemp(join(tmpdir(), 'marg-backup-'));
    const copy = join(dir, 'copy.sqlite');
    const cleanup = () => rm(dir, { recursive: true, force: true });
    try {
      if (existsSync(this.file)) {
        const source = new SQLite(this.file, { fileMustExist: true });
        try {
          source.pragma('busy_timeout = 5000');
          // Every remaining page in one step: a paged backup restarts whenever another connection
          // writes between steps, and under steady writes would never end. One step is one read
          // transaction (WAL lets writers go on meanwhile), so the copy is one point in time.
          await source.backup(copy, { progress: () => ALL_PAGES });
        } finally {
          source.close();
        }
      } else {
        new SQLite(copy).close();
      }
      // One file, no WAL beside it: what the part holds is the whole database.
      const handle = new SQLite(copy);
      handle.pragma('journal_mode = DELETE');
      const migrations = readMigrations(handle);
      handle.close();
      return { stream: createReadStream(copy), size: (await stat(copy)).size, migrations: async () => migrations, cleanup };
    } catch (error) {
      await cleanup();
      throw error;
    }
  }

  async isEmpty(): Promise<boolean> {
    if (!existsSync(this.file)) return true;
    const handle = new SQLite(this.file, { readonly: true, fileMustExist: true });
    try {
      const row = handle.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").get() as { n: number };
      return row.n === 0;
    } finally {
      handle.close();
    }
  }

  /**
   * Writes the copy to a temp file beside the target, then copies it into the live file with
   * the backup API again: other processes' open connections see the restored database, not a
   * file swapped under them.
   */
  async restore(copy: Readable): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const dir = await mkdtemp(join(dirname(this.file), '.marg-restore-'));
    const temp = join(dir, 'restore.sqlite');
    try {
      await pipeline(copy, createWriteStream(temp));
      const source = new SQLite(temp, { fileMustExist: true });
      try {
        const check = source.pragma('quick_check', { simple: true });
        if (check !== 'ok') throw new Error(`the restored SQLite copy fails its integrity check: ${String(check)}`);
        // Opening the target first makes it a WAL file like every other Marg database.
        openSqliteFile(this.file).close();
        await source.backup(this.file, { progress: () => ALL_PAGES });
      } finally {
        source.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function readMigrations(handle: SQLite.Database): string[] {
  const table = handle.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
  if (!table) return [];
  return (handle.prepare(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
}
