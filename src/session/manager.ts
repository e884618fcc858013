import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { SessionStore } from './contract.ts';
import { MemorySessionStore } from './memory.ts';
import { RedisSessionStore } from './redis.ts';
import { SqliteSessionStore } from './sqlite.ts';

/** Picks the session driver named by SESSION_DRIVER. */
export function createSessionStore(config: Config, backends: Backends): SessionStore {
  switch (config.session.driver) {
    case 'memory':
      return new MemorySessionStore();
    case 'sqlite':
      return new SqliteSessionStore(backends.files.open('sessions'));
    case 'redis':
      return new RedisSessionStore(backends.redis.client, config.redis.prefix);
  }
}
