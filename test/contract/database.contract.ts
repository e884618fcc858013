import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { sql, type Generated } from 'kysely';
import { APPS } from '../../apps/index.ts';
import { buildConfig } from '../../src/config/config.ts';
import { appLayout } from '../../src/platform/app-registry.ts';
import type { DatabaseConnection, MigrationSet } from '../../src/database/contract.ts';
import { isDeadlock, isUniqueViolation, retryingDeadlocks } from '../../src/database/errors.ts';
import { migrateToLatest, migrationStatus } from '../../src/database/migrator.ts';
import { exactVarchar, insertGetId, now, withId } from '../../src/database/schema.ts';
import type { ServerDatabaseConfig } from '../../src/database/settings.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMissingDatabases } from '../../src/platform/connectivity.ts';
import { migrateAll, migrationPlan, statusAll } from '../../src/platform/migrate.ts';
import { createServices, type Services } from '../../src/platform/services.ts';
import { dropServerDatabase, uniqueTestStem } from '../support/server-databases.ts';
import type { DatabaseFactory, DatabaseFixture } from './database.fixture.ts';
import type { ContractOptions } from './fixture.ts';

export interface DatabaseContractOptions extends ContractOptions {
  /** Why this driver cannot run two migrating processes at once (SQLite), or undefined when it can. */
  readonly noConcurrentMigrations?: string;
}

interface ContractDatabase {
  notes: { id: Generated<number>; slug: string; body: string; created_at: string };
  people: { id: Generated<number>; email: string; name: string | null };
}

// Written as an app writes them (src/database/schema.ts), and listed out of order: they run by name.
const MIGRATIONS: MigrationSet = {
  '2026_01_01_0002_create_people': {
    async up(db, ctx) {
      await withId(db.schema.createTable('people'), ctx)
        .addColumn('email', exactVarchar(255, ctx), (c) => c.notNull().unique())
        .addColumn('name', 'varchar(100)')
        .execute();
    },
  },
  '2026_01_01_0001_create_notes': {
    async up(db, ctx) {
      await withId(db.schema.createTable('notes'), ctx)
        .addColumn('slug', 'varchar(64)', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notes_slug_unique').on('notes').column('slug').unique().execute();
    },
  },
};
const MIGRATION_NAMES = ['2026_01_01_0001_create_notes', '2026_01_01_0002_create_people'];

const note = (slug: string, createdAt = now()) => ({ slug, body: `a long text for ${slug}`, created_at: createdAt });

/** `ER_DUP_ENTRY: …` for a failure message. */
function describeError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  return `${String(e?.code)}: ${String(e?.message)}`;
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => assert.fail('expected the statement to fail'),
    (error: unknown) => error,
  );
}

/** A whole platform (the four databases) on the fixture's driver, under a stem of its own. */
async function appPlatform(t: TestContext, fixture: DatabaseFixture): Promise<() => Promise<Services>> {
  const storage = mkdtempSync(join(tmpdir(), 'marg-contract-apps-'));
  const config = buildConfig(storage, {
    ...fixture.platformEnv,
    NODE_ENV: 'test',
    STORAGE_PATH: storage,
    DB_DATABASE: uniqueTestStem(),
    SESSION_DRIVER: 'memory',
    CACHE_STORE: 'memory',
    LOG_LEVEL: 'silent',
  }, appLayout(APPS));
  const opened: Services[] = [];
  t.after(async () => {
    await Promise.allSettled(opened.map((s) => s.close()));
    const servers = Object.values(config.databases).filter((d): d is ServerDatabaseConfig => d.connection !== 'sqlite');
    await Promise.all(servers.map((d) => dropServerDatabase(d)));
    rmSync(storage, { recursive: true, force: true });
  });
  await createMissingDatabases(config);
  return async () => {
    const services = await createServices(config, createLogger(config));
    opened.push(services);
    return services;
  };
}

/** What the DatabaseConnection port and the migrator promise on every SQL driver. */
export function describeDatabaseContract(driverName: string, factory: DatabaseFactory, options: DatabaseContractOptions = {}): void {
  // Each test has a database of its own; a few at a time keeps the servers' connection counts low.
  describe(`database contract: ${driverName}`, { skip: options.skip, concurrency: 4 }, () => {
    async function setup(t: TestContext): Promise<DatabaseFixture> {
      const fixture = await factory();
      t.after(() => fixture.close());
      return fixture;
    }

    async function migrated(t: TestContext): Promise<{ fixture: DatabaseFixture; connection: DatabaseConnection<ContractDatabase> }> {
      const fixture = await setup(t);
      const connection = fixture.open<ContractDatabase>();
      const outcome = await migrateToLatest(connection, MIGRATIONS);
      assert.equal(outcome.error, undefined, String(outcome.error));
      return { fixture, connection };
    }

    it('runs portable migrations (withId, varchar, text, unique index) in name order; migrationStatus reports them', async (t) => {
      const fixture = await setup(t);
      const connection = fixture.open<ContractDatabase>();
      const before = await migrationStatus(connection, MIGRATIONS);
      assert.deepEqual(before, MIGRATION_NAMES.map((name) => ({ name, executedAt: undefined })));

      const started = Date.now();
      const first = await migrateToLatest(connection, MIGRATIONS);
      assert.equal(first.error, undefined, String(first.error));
      assert.deepEqual(first.applied, MIGRATION_NAMES);

      const after = await migrationStatus(connection, MIGRATIONS);
      assert.deepEqual(after.map((s) => s.name), MIGRATION_NAMES);
      for (const status of after) {
        assert.ok(status.executedAt instanceof Date, `${status.name} has a run time`);
        const at = status.executedAt.getTime();
        assert.ok(at >= started - 1000 && at <= Date.now() + 1000, `${status.name} ran at ${status.executedAt.toISOString()}`);
      }

      const second = await migrateToLatest(connection, MIGRATIONS);
      assert.deepEqual(second, { applied: [], error: undefined });
      // The tables are there with the declared columns.
      await connection.db.insertInto('notes').values(note('schema')).execute();
      await connection.db.insertInto('people').values({ email: 'ada@example.test', name: null }).execute();
    });

    it('insertGetId returns the new row id as a number, increasing with each insert', async (t) => {
      const { connection } = await migrated(t);
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await insertGetId(connection.db.insertInto('notes').values(note(`id-${i}`)), connection.dialect));
      for (const id of ids) assert.ok(Number.isSafeInteger(id) && id > 0, `id ${String(id)} (${typeof id})`);
      for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `ids increase: ${ids.join(', ')}`);
      const rows = await connection.db.selectFrom('notes').select(['id', 'slug']).orderBy('id').execute();
      assert.deepEqual(
        rows.map((r) => [Number(r.id), r.slug]),
        ids.map((id, i) => [id, `id-${i}`]),
      );
    });

    it('a duplicate on a unique index is recognised by isUniqueViolation; other failures are not', async (t) => {
      const { connection } = await migrated(t);
      const { db, dialect } = connection;
      await insertGetId(db.insertInto('notes').values(note('taken')), dialect);
      const viaInsert = await failureOf(db.insertInto('notes').values(note('taken')).execute());
      assert.equal(isUniqueViolation(viaInsert), true, describeError(viaInsert));
      const viaInsertGetId = await failureOf(insertGetId(db.insertInto('notes').values(note('taken')), dialect));
      assert.equal(isUniqueViolation(viaInsertGetId), true, describeError(viaInsertGetId));
      await db.insertInto('people').values({ email: 'ada@example.test', name: 'Ada' }).execute();
      const columnUnique = await failureOf(db.insertInto('people').values({ email: 'ada@example.test', name: 'Twin' }).execute());
      assert.equal(isUniqueViolation(columnUnique), true, describeError(columnUnique));

      const notNull = await failureOf(sql`insert into notes (slug, body, created_at) values (${'no-body'}, ${null}, ${now()})`.execute(db));
      assert.equal(isUniqueViolation(notNull), false, describeError(notNull));
      const noTable = await failureOf(sql`select * from no_such_table`.execute(db));
      assert.equal(isUniqueViolation(noTable), false, describeError(noTable));
      assert.equal(isUniqueViolation(new Error('duplicate')), false);
      assert.equal(isUniqueViolation(undefined), false);
    });

    it('two transactions locking rows in opposite order: the victim is recognised by isDeadlock and retryingDeadlocks runs it again', async (t) => {
      const { connection } = await migrated(t);
      const { db, dialect } = connection;
      // SQLite has one writer at a time: the second transaction waits for the file lock and never deadlocks.
      if (dialect === 'sqlite') return t.skip('SQLite: one writer at a time, so no deadlocks');
      const [a, b] = [await insertGetId(db.insertInto('notes').values(note('a')), dialect), await insertGetId(db.insertInto('notes').values(note('b')), dialect)];
      // Each transaction takes its first row, waits until the other holds its own, then asks for the other's.
      let holding = 0;
      const bothHold = new Promise<void>((resolve) => {
        const check = setInterval(() => holding >= 2 && (clearInterval(check), resolve()), 5);
      });
      const victims: unknown[] = [];
      const crossing = (first: number, second: number, body: string) =>
        retryingDeadlocks(async () => {
          try {
            await db.transaction().execute(async (trx) => {
              await trx.updateTable('notes').set({ body }).where('id', '=', first).execute();
              holding += 1;
              await bothHold;
              await trx.updateTable('notes').set({ body }).where('id', '=', second).execute();
            });
          } catch (error) {
            victims.push(error);
            throw error;
          }
        });
      await Promise.all([crossing(a, b, 'one'), crossing(b, a, 'two')]);
      assert.equal(victims.length, 1, `exactly one deadlock victim: ${victims.map(describeError).join('; ')}`);
      assert.equal(isDeadlock(victims[0]), true, describeError(victims[0]));
      // The retried victim committed last, whole: both rows carry its value, none is half-written.
      const bodies = await db.selectFrom('notes').select('body').where('id', 'in', [a, b]).execute();
      assert.equal(new Set(bodies.map((r) => r.body)).size, 1, JSON.stringify(bodies));
      assert.equal(isDeadlock(new Error('deadlock')), false);
      await assert.rejects(retryingDeadlocks(() => Promise.reject(Object.assign(new Error('busy'), { code: 'ER_DUP_ENTRY' }))), /busy/);
    });

    it('an exactVarchar column compares exactly: case and accents are different values', async (t) => {
      const { connection } = await migrated(t);
      const { db } = connection;
      const emails = ['jose@example.test', 'josé@example.test', 'JOSE@example.test', 'strasse@example.test', 'straße@example.test'];
      for (const email of emails) await db.insertInto('people').values({ email, name: null }).execute();
      for (const email of emails) {
        const found = await db.selectFrom('people').select('email').where('email', '=', email).execute();
        assert.deepEqual(found.map((r) => r.email), [email]);
      }
    });

    it('a transaction that throws rolls back every write in it; one that returns commits', async (t) => {
      const { fixture, connection } = await migrated(t);
      const { db } = connection;
      await db.insertInto('notes').values(note('before')).execute();
      await assert.rejects(
        db.transaction().execute(async (tx) => {
          await tx.insertInto('notes').values(note('rolled-back-1')).execute();
          await tx.updateTable('notes').set({ body: 'changed' }).where('slug', '=', 'before').execute();
          await tx.insertInto('notes').values(note('rolled-back-2')).execute();
          throw new Error('boom');
        }),
        /^Error: boom$/,
      );
      const violation = await failureOf(
        db.transaction().execute(async (tx) => {
          await tx.insertInto('notes').values(note('rolled-back-3')).execute();
          await tx.insertInto('notes').values(note('before')).execute();
        }),
      );
      assert.equal(isUniqueViolation(violation), true, describeError(violation));

      const committed = await db.transaction().execute(async (tx) => {
        await tx.insertInto('notes').values(note('committed')).execute();
        return 'done';
      });
      assert.equal(committed, 'done');
      // Seen from another connection: only what committed is there.
      const other = fixture.open<ContractDatabase>();
      const rows = await other.db.selectFrom('notes').select(['slug', 'body']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { slug: 'before', body: 'a long text for before' },
        { slug: 'committed', body: 'a long text for committed' },
      ]);
    });

    it('50 concurrent inserts from two connections all land, with distinct ids', async (t) => {
      const { fixture, connection } = await migrated(t);
      const other = fixture.open<ContractDatabase>();
      const ids = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const on = i % 2 === 0 ? connection : other;
          return insertGetId(on.db.insertInto('notes').values(note(`concurrent-${i}`)), on.dialect);
        }),
      );
      assert.equal(new Set(ids).size, 50, `distinct ids: ${ids.join(', ')}`);
      const rows = await connection.db.selectFrom('notes').select(['id', 'slug']).execute();
      assert.equal(rows.length, 50);
      const bySlug = new Map(rows.map((r) => [r.slug, Number(r.id)]));
      ids.forEach((id, i) => assert.equal(bySlug.get(`concurrent-${i}`), id, `concurrent-${i}`));
    });

    it('answers ping while open, and fails it once closed', async (t) => {
      const fixture = await setup(t);
      const connection = fixture.open();
      await connection.ping();
      await connection.ping();
      await connection.close();
      await assert.rejects(connection.ping());
    });

    it('time strings from now() come back unchanged and sort as the instants they name', async (t) => {
      const { fixture, connection } = await migrated(t);
      const times = [now(), '2026-01-02T03:04:05.060Z', '1999-12-31T23:59:59.999Z', '2026-01-02T03:04:05.006Z', '2026-01-02T03:04:05.006Z'];
      for (const [i, at] of times.entries()) await connection.db.insertInto('notes').values(note(`time-${i}`, at)).execute();
      const other = fixture.open<ContractDatabase>();
      const stored = await other.db.selectFrom('notes').select(['slug', 'created_at']).orderBy('id').execute();
      assert.deepEqual(stored.map((r) => r.created_at), times);
      for (const r of stored) assert.equal(typeof r.created_at, 'string');
      const ordered = await other.db.selectFrom('notes').select('created_at').orderBy('created_at').orderBy('id').execute();
      assert.deepEqual(ordered.map((r) => r.created_at), [...times].sort());
      const later = await other.db.selectFrom('notes').select('slug').where('created_at', '>', '2026-01-02T03:04:05.006Z').orderBy('id').execute();
      assert.deepEqual(later.map((r) => r.slug), times.map((at, i) => [at, `time-${i}`] as const).filter(([at]) => at > '2026-01-02T03:04:05.006Z').map(([, slug]) => slug));
    });

    it("the apps' real migrations apply cleanly, and a second run has nothing to do", async (t) => {
      const fixture = await setup(t);
      const services = await (await appPlatform(t, fixture))();
      const expected = migrationPlan(APPS).flatMap(({ database, migrations }) =>
        Object.keys(migrations)
          .sort()
          .map((migration) => ({ database, migration })),
      );
      const first = await migrateAll(services, APPS);
      assert.deepEqual(first, { applied: expected, rolesChanged: true });
      const second = await migrateAll(services, APPS);
      assert.deepEqual(second, { applied: [], rolesChanged: false });
      for (const { database, migrations } of await statusAll(services, APPS)) {
        for (const m of migrations) assert.ok(m.executedAt instanceof Date, `${database}/${m.name} ran`);
      }
      // The schema serves the platform: a user, a role, the role's holder count.
      const user = await services.users.create({ email: 'Ada@Example.test', name: 'Ada', password: 'correct horse battery staple' });
      assert.equal(await services.rbac.grant(user.id, { app: 'flow', role: 'editor' }), true);
      assert.equal(await services.rbac.grant(user.id, { app: 'flow', role: 'editor' }), false);
      assert.equal(await services.rbac.holderCount({ app: 'flow', role: 'editor' }), 1);
      assert.equal(await services.users.count(), 1);
      // Every dialect lists a role's permissions in one order (PostgreSQL's heap order is not it).
      for (const role of await services.rbac.roles()) assert.deepEqual(role.permissions, [...role.permissions].sort(), `${role.app}:${role.name}`);
      assert.deepEqual(await services.users.findByEmail('ada@example.test'), { id: user.id, email: 'ada@example.test', name: 'Ada', createdAt: user.createdAt });
    });

    it('two nodes migrating at once take turns: every migration runs once and both succeed', { skip: options.noConcurrentMigrations ?? false }, async (t) => {
      const fixture = await setup(t);
      const node = await appPlatform(t, fixture);
      const [a, b] = await Promise.all([migrateAll(await node(), APPS), migrateAll(await node(), APPS)]);
      const all = [...a.applied, ...b.applied].map((m) => `${m.database}/${m.migration}`).sort();
      const expected = migrationPlan(APPS).flatMap(({ database, migrations }) => Object.keys(migrations).map((m) => `${database}/${m}`)).sort();
      assert.deepEqual(all, expected);
      assert.equal(Number(a.rolesChanged) + Number(b.rolesChanged), 1, 'the roles were written by exactly one node');
    });
  });
}
