import { join } from 'node:path';
import type SQLite from 'better-sqlite3';
import { openSqliteFile } from '../database/sqlite-file.ts';

/**
 * The SQLite files behind the embedded drivers (cache, sessions, locks, rate limits),
 * under `storage/framework/`. Each file is opened once per process and closed at shutdown.
 */
export class EmbeddedFiles {
  readonly #handles = new Map<string, SQLite.Database>();

  constructor(private readonly storagePath: string) {}

  open(name: 'cache' | 'sessions'): SQLite.Database {
    let handle = this.#handles.get(name);
    if (!handle) {
      handle = openSqliteFile(join(this.storagePath, 'framework', `${name}.sqlite`));
      this.#handles.set(name, handle);
    }
    return handle;
  }

  close(): void {
    for (const handle of this.#handles.values()) handle.close();
    this.#handles.clear();
  }
}
