/** A unique-index (or primary-key) violation as each driver reports it (SQLite, MySQL/MariaDB, PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'ER_DUP_ENTRY' || code === '23505';
}

/** A deadlock (or serialization failure) the server resolved by rolling our statement back: safe to run again. */
export function isDeadlock(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  return code === 'ER_LOCK_DEADLOCK' || code === '40P01' || code === '40001';
}

/**
 * Runs `work` again (up to `attempts` times, with a short jittered pause) when the server chose it
 * as a deadlock victim: InnoDB does so under concurrent INSERTs and SKIP LOCKED reservations, and
 * the statement was rolled back whole, so a retry neither loses nor doubles anything.
 */
export async function retryingDeadlocks<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', 'ER_OPTION_PREVENTS_STATEMENT', '57P01', '57P03', '25006']);

/**
 * The database server cannot take this statement right now: unreachable, restarting, or
 * read-only (a primary fenced by `marg db:promote`, PostgreSQL in recovery). A request that
 * hits one gets a 503 to retry, not a 500: it is an outage or a failover, not a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, fatal } = error as { code?: unknown; fatal?: unknown };
  return (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) || (fatal === true && typeof code === 'string' && code.startsWith('PROTOCOL_'));
}
