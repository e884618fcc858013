import type { Config } from '../config/config.ts';
import { ConfigError } from '../config/env-files.ts';

/**
 * What the members of a cluster on this machine may run on. The embedded `memory` drivers keep
 * state inside one process (each node its own sessions: a user signed in on web-1 is signed
 * out on web-2), so they are refused. SQLite files are shared by every process on one machine,
 * which is what this cluster is, so they are allowed with a note: across machines, the nodes
 * need DB_CONNECTION=mysql|pgsql and Redis (the guides' Phase 2), and nothing else changes.
 */
export function checkClusterDrivers(config: Config): string[] {
  const memory: string[] = [];
  const refuse = (variable: string, value: string, what: string) => {
    if (value === 'memory') memory.push(`${variable}=memory keeps ${what} inside one process, so every node would have its own: use redis (or sqlite, which the processes on this machine share)`);
  };
  refuse('SESSION_DRIVER', config.session.driver, 'sessions');
  refuse('CACHE_STORE', config.cache.store, 'the cache (and maintenance mode)');
  if (config.cache.store !== 'memory') refuse('LOCK_STORE', config.lockStore, 'locks (schedulers would each run every tick)');
  if (config.cache.store !== 'memory') refuse('RATE_LIMIT_STORE', config.rateLimitStore, 'rate-limit counters');
  if (memory.length > 0) throw new ConfigError(memory);

  const notes: string[] = [];
  const sqliteDatabases = Object.entries(config.databases).filter(([, d]) => d.connection === 'sqlite').map(([name]) => name);
  if (sqliteDatabases.length > 0) {
    notes.push(`SQLite databases (${sqliteDatabases.join(', ')}): shared by the processes on this machine; nodes on several machines need DB_CONNECTION=mysql or pgsql`);
  }
  const sqliteStores = [
    ['SESSION_DRIVER', config.session.driver],
    ['CACHE_STORE', config.cache.store],
    ['LOCK_STORE', config.lockStore],
    ['RATE_LIMIT_STORE', config.rateLimitStore],
  ].filter(([, driver]) => driver === 'sqlite');
  if (sqliteStores.length > 0) {
    notes.push(`${sqliteStores.map(([name]) => `${name}=sqlite`).join(', ')}: shared on this machine only; nodes on several machines need redis (or run \`marg cluster up --own-redis\`)`);
  }
  return notes;
}

/** Variables that point every member at a private redis-server (`--own-redis`), whatever REDIS_* say. */
export function ownRedisEnv(port: number): Record<string, string> {
  const cleared = ['REDIS_URL', 'REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_SENTINELS', 'REDIS_SENTINEL_PASSWORD'];
  return {
    // An empty value is "unset" (for X_FILE too): the private server has neither password nor Sentinels.
    ...Object.fromEntries(cleared.flatMap((name) => [[name, ''], [`${name}_FILE`, '']])),
    REDIS_HOST: '127.0.0.1',
    REDIS_PORT: String(port),
    REDIS_DB: '0',
    SESSION_DRIVER: 'redis',
    CACHE_STORE: 'redis',
    LOCK_STORE: 'redis',
    RATE_LIMIT_STORE: 'redis',
    QUEUE_CONNECTION: 'redis',
    BROADCAST_CONNECTION: 'redis',
  };
}

const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * Workers and schedulers log their one "ready" line at `info`, and that line is how the cluster
 * knows they started: they log at least at `info` (they are quiet otherwise).
 */
export function roleLogLevel(config: Config): string {
  return QUIET_LEVELS.has(config.logLevel) ? 'info' : config.logLevel;
}
