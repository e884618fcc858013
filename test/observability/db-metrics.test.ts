import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, type CompiledQuery, type DatabaseConnection, type Dialect, type Driver, type QueryResult } from 'kysely';
import { queryTimer } from '../../src/database/query-timing.ts';
import { ReplicaDriver } from '../../src/database/replica-driver.ts';
import { dbQueryDuration } from '../../src/observability/metrics.ts';

// marg_db_query_duration_seconds{target}: Kysely's `log` times each query; the replica driver
// says which ones a replica answered. Fake servers, real Kysely, so the path is the app's.

interface Db {
  tasks: { id: number; title: string };
}

class FakeDriver implements Driver {
  failing = false;
  constructor(readonly name: string) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return {
      executeQuery: async <R>(_query: CompiledQuery): Promise<QueryResult<R>> => {
        if (this.failing) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        await new Promise((r) => setTimeout(r, 2));
        return { rows: [{ id: 1, title: this.name }] as R[] };
      },
      streamQuery: async function* <R>(): AsyncIterableIterator<QueryResult<R>> {
        yield { rows: [] };
      },
    };
  }
  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

function database(name: string, driver: Driver): Kysely<Db> {
  const dialect: Dialect = {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => driver,
    createQueryCompiler: () => new MysqlQueryCompiler(),
    createIntrospector: (db) => new MysqlIntrospector(db),
  };
  return new Kysely<Db>({ dialect, log: queryTimer(name) });
}

async function counts(database: string): Promise<{ writer: number; reader: number; sum: number }> {
  const values = (await dbQueryDuration.get()).values.filter((v) => v.labels.database === database);
  const count = (target: string) => values.filter((v) => v.metricName === 'marg_db_query_duration_seconds_count' && v.labels.target === target).reduce((a, v) => a + v.value, 0);
  const sum = values.filter((v) => v.metricName === 'marg_db_query_duration_seconds_sum').reduce((a, v) => a + v.value, 0);
  return { writer: count('writer'), reader: count('reader'), sum };
}

describe('database query timing', () => {
  it('labels reads a replica answered as reader, everything else as writer', async () => {
    const replica = new FakeDriver('replica');
    const db = database('unit-replicas', new ReplicaDriver(new FakeDriver('primary'), [{ name: 'r1', driver: replica }], { retryAfterMs: 60_000, onReplicaDown: () => {} }));
    const read = await db.selectFrom('tasks').selectAll().execute();
    assert.equal(read[0]?.title, 'replica');
    await db.insertInto('tasks').values({ id: 2, title: 'x' }).execute();
    assert.deepEqual(await counts('unit-replicas').then(({ writer, reader }) => ({ writer, reader })), { writer: 1, reader: 1 });

    // A replica that fails: the primary answers the read, and that is what is timed as the writer's.
    replica.failing = true;
    const fallback = await db.selectFrom('tasks').selectAll().execute();
    assert.equal(fallback[0]?.title, 'primary');
    const after = await counts('unit-replicas');
    assert.deepEqual({ writer: after.writer, reader: after.reader }, { writer: 2, reader: 1 });
    assert.ok(after.sum > 0.004, `durations are measured (${after.sum} s)`);
    await db.destroy();
  });

  it('labels every query of a database without replicas as writer', async () => {
    const db = database('unit-single', new FakeDriver('primary'));
    await db.selectFrom('tasks').selectAll().execute();
    await db.selectFrom('tasks').selectAll().execute();
    assert.deepEqual(await counts('unit-single').then(({ writer, reader }) => ({ writer, reader })), { writer: 2, reader: 0 });
    await db.destroy();
  });
});
