import type { LogEvent } from 'kysely';
import { dbQueryDuration } from '../observability/metrics.ts';
import { ranOnReplica } from './replica-driver.ts';

/**
 * Kysely's `log` option for one database: every query's duration (Kysely measures it) goes to
 * `marg_db_query_duration_seconds`, as `reader` when a read replica answered it, else `writer`.
 * Failed queries are timed too: a slow failure is still time spent.
 */
export function queryTimer(database: string): (event: LogEvent) => void {
  const writer = dbQueryDuration.labels(database, 'writer');
  const reader = dbQueryDuration.labels(database, 'reader');
  return (event) => (ranOnReplica(event.query) ? reader : writer).observe(event.queryDurationMillis / 1000);
}
