import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompiledQuery,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  sql,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import { readWriteContext } from '../../src/database/read-write-context.ts';
import { ReplicaDriver } from '../../src/database/replica-driver.ts';

// ReplicaDriver over fake drivers that record what they were sent and answer with their own
// name, behind a real Kysely (MySQL compiler), so routing is seen exactly as the app causes it.

interface Db {
  tasks: { id: number; title: string };
}

type Failure = { on: 'init' | 'acquire' | 'execute'; error: Error };

class FakeDriver implements Driver {
  /** Everything this server was sent, in order: SQL text, or begin/commit/rollback. */
  readonly received: string[] = [];
  open = 0;
  destroyed = false;
  failure: Failure | undefined;

  constructor(readonly name: string) {}

  async init(): Promise<void> {
    if (this.failure?.on === 'init') throw this.failure.error;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.failure?.on === 'acquire') throw this.failure.error;
    this.open += 1;
    const received = this.received;
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        if (this.failure?.on === 'execute') throw this.failure.error;
        this.received.push(query.sql);
        return { rows: [{ id: 1, title: this.name }] as R[] };
      },
      streamQuery: async function* <R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
        received.push(`stream ${query.sql}`);
        yield { rows: [] };
      },
    };
  }

  async beginTransaction(): Promise<void> {
    this.received.push('begin');
  }
  async commitTransaction(): Promise<void> {
    this.received.push('commit');
  }
  async rollbackTransaction(): Promise<void> {
    this.received.push('rollback');
  }
  async releaseConnection(): Promise<void> {
    this.open -= 1;
  }
  async destroy(): Promise<void> {
    this.destroyed = true;
  }
}

const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3307'), { code: 'ECONNREFUSED' });
const connectionLost = () => Object.assign(new Error('Connection lost: The server closed the connection.'), { code: 'PROTOCOL_CONNECTION_LOST', fatal: true });
const noSuchTable = () => Object.assign(new Error("Table 'marg_flow.tasks' doesn't exist"), { code: 'ER_NO_SUCH_TABLE', errno: 1146 });

function setup(replicaCount: number, retryAfterMs = 60_000) {
  const primary = new FakeDriver('primary');
  const replicas = Array.from({ length: replicaCount }, (_, i) => new FakeDriver(`replica${i + 1}`));
  const warnings: { replica: string; error: Error }[] = [];
  const driver = new ReplicaDriver(
    primary,
    replicas.map((r) => ({ name: r.name, driver: r })),
    { retryAfterMs, onReplicaDown: (replica, error) => warnings.push({ replica, error }) },
  );
  const db = new Kysely<Db>({
    dialect: {
      createAdapter: () => new MysqlAdapter(),
      createDriver: () => driver,
      createQueryCompiler: () => new MysqlQueryCompiler(),
      createIntrospector: (k) => new MysqlIntrospector(k),
    },
  });
  /** Which server answered one SELECT (each fake answers with its own name). */
  const readFrom = async () => (await db.selectFrom('tasks').selectAll().executeTakeFirstOrThrow()).title;
  const all = [primary, ...replicas];
  return {
    db,
    driver,
    primary,
    replicas,
    warnings,
    readFrom,
    /** Every acquired connection was handed back. */
    assertAllReleased: () => assert.deepEqual(all.map((d) => [d.name, d.open]), all.map((d) => [d.name, 0])),
  };
}

const fresh = () => ({ wrote: false, stickyUntil: 0 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ReplicaDriver routing', () => {
  it('sends SELECTs to the replicas round-robin, never to the primary', async () => {
    const { readFrom, primary, replicas, assertAllReleased } = setup(2);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await readFrom());
    assert.deepEqual(answers, ['replica1', 'replica2', 'replica1', 'replica2', 'replica1']);
    assert.deepEqual(primary.received, []);
    assert.equal(replicas[0]!.received[0], 'select * from `tasks`');
    assertAllReleased();
  });

  it('sends INSERT, UPDATE, DELETE and raw SQL to the primary', async () => {
    const { db, primary, replicas, assertAllReleased } = setup(2);
    await db.insertInto('tasks').values({ id: 1, title: 'a' }).execute();
    await db.updateTable('tasks').set({ title: 'b' }).where('id', '=', 1).execute();
    await db.deleteFrom('tasks').where('id', '=', 1).execute();
    await sql`select 1`.execute(db);
    await db.executeQuery(CompiledQuery.raw('select 2'));
    assert.deepEqual(primary.received, [
      'insert into `tasks` (`id`, `title`) values (?, ?)',
      'update `tasks` set `title` = ? where `id` = ?',
      'delete from `tasks` where `id` = ?',
      'select 1',
      'select 2',
    ]);
    assert.deepEqual(replicas.map((r) => r.received), [[], []]);
    assertAllReleased();
  });

  it('sends everything inside a transaction to the primary, reads included', async () => {
    const { db, primary, replicas, readFrom, assertAllReleased } = setup(1);
    const title = await db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom('tasks').select('title').executeTakeFirstOrThrow();
      await tx.updateTable('tasks').set({ title: 'x' }).execute();
      await tx.selectFrom('tasks').select('id').execute();
      return row.title;
    });
    assert.equal(title, 'primary');
    assert.deepEqual(primary.received, ['begin', 'select `title` from `tasks`', 'update `tasks` set `title` = ?', 'select `id` from `tasks`', 'commit']);
    assert.deepEqual(replicas[0]!.received, []);

    await assert.rejects(
      db.transaction().execute(async (tx) => {
        await tx.selectFrom('tasks').selectAll().execute();
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.deepEqual(primary.received.slice(-3), ['begin', 'select * from `tasks`', 'rollback']);
    assert.deepEqual(replicas[0]!.received, []);
    // The transaction's pin does not outlive it.
    assert.equal(await readFrom(), 'replica1');
    assertAllReleased();
  });

  it('reads from the primary after a write in the same read-write context, and only there', async () => {
    const { db, readFrom, assertAllReleased } = setup(1);
    const state = fresh();
    const inside = await readWriteContext.run(state, async () => {
      const before = await readFrom();
      await db.insertInto('tasks').values({ id: 2, title: 'new' }).execute();
      const after = [await readFrom(), await readFrom()];
      return { before, after };
    });
    assert.deepEqual(inside, { before: 'replica1', after: ['primary', 'primary'] });
    assert.equal(state.wrote, true);
    // Another request's context, and code outside any request, still read the replica.
    assert.equal(await readWriteContext.run(fresh(), readFrom), 'replica1');
    assert.equal(await readFrom(), 'replica1');
    assertAllReleased();
  });

  it('marks the context as written by a transaction, so later reads in it use the primary', async () => {
    const { db, readFrom } = setup(1);
    const state = fresh();
    const after = await readWriteContext.run(state, async () => {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('tasks').values({ id: 3, title: 't' }).execute();
      });
      return readFrom();
    });
    assert.equal(after, 'primary');
    assert.equal(state.wrote, true);
  });

  it('keeps one connection on the primary once it has sent raw SQL or a write, outside any request (the MySQL migrator)', async () => {
    const { db, primary, replicas, readFrom, assertAllReleased } = setup(1);
    // Kysely's Migrator on MySQL: get_lock on one connection, then reads the applied migrations on it.
    const state = await db.connection().execute(async (connection) => {
      const before = (await connection.selectFrom('tasks').select('title').executeTakeFirstOrThrow()).title;
      await sql`select get_lock('migrations', 60)`.execute(connection);
      const after = (await connection.selectFrom('tasks').select('title').executeTakeFirstOrThrow()).title;
      return { before, after };
    });
    assert.deepEqual(state, { before: 'replica1', after: 'primary' });
    assert.deepEqual(primary.received, ["select get_lock('migrations', 60)", 'select `title` from `tasks`']);
    assert.deepEqual(replicas[0]!.received, ['select `title` from `tasks`']);
    // The next connection starts afresh.
    assert.equal(await readFrom(), 'replica1');
    assertAllReleased();
  });

  it('reads from the primary while the session is sticky (stickyUntil in the future), from a replica once it has passed', async () => {
    const { readFrom } = setup(1);
    assert.equal(await readWriteContext.run({ wrote: false, stickyUntil: Date.now() + 5_000 }, readFrom), 'primary');
    assert.equal(await readWriteContext.run({ wrote: false, stickyUntil: Date.now() - 1 }, readFrom), 'replica1');
  });

  it('streams from the primary', async () => {
    const { db, primary, replicas } = setup(1);
    for await (const row of db.selectFrom('tasks').selectAll().stream()) assert.fail(`no rows expected, got ${JSON.stringify(row)}`);
    assert.deepEqual(replicas[0]!.received, []);
    assert.deepEqual(primary.received, ['stream select * from `tasks`']);
  });
});

describe('ReplicaDriver when a replica fails', () => {
  it('marks a replica whose connection is refused as down, warns once, and answers from the primary', async () => {
    const { readFrom, replicas, warnings, assertAllReleased } = setup(1);
    replicas[0]!.failure = { on: 'acquire', error: connectionRefused() };
    assert.equal(await readFrom(), 'primary');
    assert.deepEqual(warnings.map((w) => [w.replica, (w.error as { code?: string }).code]), [['replica1', 'ECONNREFUSED']]);

    // Down: not even tried again within the retry period.
    replicas[0]!.failure = undefined;
    assert.equal(await readFrom(), 'primary');
    assert.equal(await readFrom(), 'primary');
    assert.deepEqual(replicas[0]!.received, []);
    assert.equal(warnings.length, 1);
    assertAllReleased();
  });

  it('tries a down replica again after the retry period', async () => {
    const { readFrom, replicas, warnings } = setup(1, 50);
    replicas[0]!.failure = { on: 'acquire', error: connectionRefused() };
    assert.equal(await readFrom(), 'primary');
    replicas[0]!.failure = undefined;
    assert.equal(await readFrom(), 'primary');
    await sleep(80);
    assert.equal(await readFrom(), 'replica1');
    assert.equal(warnings.length, 1);
  });

  it('marks a replica down when a query on it loses the connection, and releases that connection', async () => {
    const { readFrom, replicas, warnings, assertAllReleased } = setup(1);
    replicas[0]!.failure = { on: 'execute', error: connectionLost() };
    assert.equal(await readFrom(), 'primary');
    assert.deepEqual(warnings.map((w) => w.replica), ['replica1']);
    assert.equal(warnings[0]!.error.message, 'Connection lost: The server closed the connection.');
    assertAllReleased();
  });

  it('skips a down replica in favour of a healthy one before falling back to the primary', async () => {
    const { readFrom, replicas, warnings } = setup(2);
    replicas[0]!.failure = { on: 'acquire', error: connectionRefused() };
    assert.equal(await readFrom(), 'primary');
    assert.deepEqual([await readFrom(), await readFrom()], ['replica2', 'replica2']);
    assert.deepEqual(warnings.map((w) => w.replica), ['replica1']);
  });

  it("answers a query that fails on the replica for another reason from the primary, without marking the replica down", async () => {
    const { readFrom, replicas, warnings, assertAllReleased } = setup(1);
    replicas[0]!.failure = { on: 'execute', error: noSuchTable() };
    assert.equal(await readFrom(), 'primary');
    assert.deepEqual(warnings, []);
    replicas[0]!.failure = undefined;
    assert.equal(await readFrom(), 'replica1');
    assertAllReleased();
  });

  it("rethrows the primary's error when the query fails there too", async () => {
    const { readFrom, primary, replicas, assertAllReleased } = setup(1);
    replicas[0]!.failure = { on: 'execute', error: noSuchTable() };
    const onPrimary = Object.assign(new Error("Unknown column 'x' in 'field list'"), { code: 'ER_BAD_FIELD_ERROR' });
    primary.failure = { on: 'execute', error: onPrimary };
    await assert.rejects(readFrom(), (error) => error === onPrimary);
    assertAllReleased();
  });

  it('boots with a replica that is down at init: warns, reads from the primary', async () => {
    const { driver, readFrom, replicas, warnings } = setup(1);
    replicas[0]!.failure = { on: 'init', error: connectionRefused() };
    await driver.init();
    assert.deepEqual(warnings.map((w) => w.replica), ['replica1']);
    replicas[0]!.failure = undefined;
    assert.equal(await readFrom(), 'primary');
  });

  it('destroys the primary and every replica, even when a replica fails to close', async () => {
    const { db, primary, replicas, readFrom } = setup(2);
    await readFrom(); // Kysely starts (and so destroys) a driver only once it was used.
    replicas[0]!.destroy = async () => {
      throw connectionLost();
    };
    await db.destroy();
    assert.equal(primary.destroyed, true);
    assert.equal(replicas[1]!.destroyed, true);
  });
});
