import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type SQLite from 'better-sqlite3';
import { openSqliteFile } from '../../src/database/sqlite-file.ts';

/** Two handles on one fresh SQLite file: what two processes sharing `storage/framework/` see. */
export interface SqlitePair {
  readonly first: SQLite.Database;
  readonly second: SQLite.Database;
  close(): Promise<void>;
}

export function openSqlitePair(name: string): SqlitePair {
  const dir = mkdtempSync(join(tmpdir(), `marg-contract-${name}-`));
  const file = join(dir, `${name}.sqlite`);
  const first = openSqliteFile(file);
  const second = openSqliteFile(file);
  return {
    first,
    second,
    async close() {
      first.close();
      second.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
