import type { Config } from '../config/config.ts';
import type { EmbeddedFiles } from '../platform/embedded-files.ts';
import type { SessionStore } from './contract.ts';
import { MemorySessionStore } from './memory.ts';
import { SqliteSessionStore } from './sqlite.ts';

/** Picks the session driver named by SESSION_DRIVER. */
export function createSessionStore(config: Config, files: EmbeddedFiles): SessionStore {
  switch (config.session.driver) {
    case 'memory':
      return new MemorySessionStore();
    case 'sqlite':
      return new SqliteSessionStore(files.open('sessions'));
  }
}
