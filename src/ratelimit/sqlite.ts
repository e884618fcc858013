import type SQLite from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import type { RateLimiter, RateLimitRule, RateLimitStore } from './contract.ts';
import { FlexibleRateLimiter, flexibleOptions } from './flexible.ts';

const TABLE = 'rate_limits';

/** Counters in a SQLite table, shared by every process on the machine. */
export class SqliteRateLimitStore implements RateLimitStore {
  readonly driver = 'sqlite';

  constructor(private readonly handle: SQLite.Database, private readonly prefix: string) {
    // Created here, synchronously: the library creates it asynchronously and rejects hits until then.
    handle.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER)`);
  }

  limiter(name: string, rule: RateLimitRule): RateLimiter {
    const inner = new RateLimiterSQLite({
      ...flexibleOptions(this.prefix, name, rule),
      storeClient: this.handle,
      storeType: 'better-sqlite3',
      tableName: TABLE,
      tableCreated: true,
    });
    return new FlexibleRateLimiter(inner, rule);
  }

  async close(): Promise<void> {}
}
