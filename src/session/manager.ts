import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { SessionStore } from './contract.ts';

/** Picks the session driver named by SESSION_DRIVER; only that driver's module is imported. */
export async function createSessionStore(config: Config, backends: Backends): Promise<SessionStore> {
  switch (config.session.driver) {
    case 'memory': {
      const { MemorySessionStore } = await import('./memory.ts');
      return new MemorySessionStore();
    }
    case 'sqlite': {
      const { SqliteSessionStore } = await import('./sqlite.ts');
      return new SqliteSessionStore(backends.files.open('sessions'));
    }
    case 'redis': {
      const [{ RedisSessionStore }, redis] = await Promise.all([import('./redis.ts'), backends.redis()]);
      return new RedisSessionStore(redis.client, config.redis.prefix);
    }
  }
}
