import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APPS } from '../../apps/index.ts';
import { buildConfig } from '../../src/config/config.ts';
import { healthReport } from '../../src/observability/health.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMissingDatabases } from '../../src/platform/connectivity.ts';
import { migrateAll } from '../../src/platform/migrate.ts';
import { createServices, type Services } from '../../src/platform/services.ts';
import { startWeb, type RunningWeb } from '../../src/platform/web-role.ts';
import { HostClient } from '../support/client.ts';
import { mariaDbPairAvailable, startMariaDbPair, type MariaDbPair } from '../support/mariadb-pair.ts';
import { TEST_DOMAIN, TEST_PASSWORD, testEnv, TEST_LAYOUT } from '../support/platform.ts';

// The whole platform on a private MariaDB primary + binlog replica (test/support/mariadb-pair.ts),
// with DB_READ_HOSTS pointing at the replica. Built here rather than with startTestServer so
// the logger writes to an array: the fallback test reads the replica-down warning from it.

const STICKY_SECONDS = 2;
const RETRY_SECONDS = 1;
const STEM = `marg_repl_${process.pid}`;

// One fixed topology whatever the runner's environment selects (a CI matrix's DB_*, RBAC_DB_*, Redis drivers):
// every database on the pair, everything else embedded in the temp storage.
const PINNED_BACKENDS = Object.fromEntries([
  ...['ACCOUNTS', 'FLOW', 'LINKS', 'RBAC'].flatMap((name) =>
    ['DRIVER', 'HOST', 'PORT', 'DATABASE', 'USERNAME', 'PASSWORD', 'READ_HOSTS'].map((v) => [`${name}_DB_${v}`, '']),
  ),
  ...['SESSION_DRIVER', 'CACHE_STORE', 'LOCK_STORE', 'RATE_LIMIT_STORE'].map((v) => [v, 'sqlite']),
]);

interface LogLine {
  level: number;
  msg: string;
  database?: string;
  replica?: string;
}

interface Task {
  id: number;
  title: string;
  [key: string]: unknown;
}

const mariadb = await mariaDbPairAvailable();

describe('read replicas on a MariaDB primary and replica', { skip: mariadb.skipReason, timeout: 110_000 }, () => {
  let pair: MariaDbPair | undefined;
  let services: Services | undefined;
  let web: RunningWeb | undefined;
  let storage: string | undefined;
  const logs: LogLine[] = [];
  // Two signed-in browsers: `writer` makes the changes, `other` is another session that never writes.
  let writer: HostClient;
  let other: HostClient;
  let seen: Task;
  let diverged: Task;

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Lets every session's DB_STICKY_SECONDS run out, so its reads go to the replica again. */
  const outlastStickiness = () => sleep(STICKY_SECONDS * 1000 + 250);

  async function createTask(client: HostClient, title: string): Promise<Task> {
    const response = await client.post('flow', '/api/tasks', { json: { title } });
    assert.equal(response.status, 201, response.text);
    return response.json();
  }

  async function primaryTitle(id: number): Promise<string | undefined> {
    const rows = await pair!.query<{ title: string }[]>('primary', `SELECT title FROM \`${STEM}_flow\`.tasks WHERE id = ?`, [id]);
    return rows[0]?.title;
  }

  before(async () => {
    pair = await startMariaDbPair();
    storage = mkdtempSync(join(tmpdir(), 'marg-replication-'));
    const config = buildConfig(
      storage,
      testEnv(storage, {
        ...PINNED_BACKENDS,
        LOG_LEVEL: 'warn',
        DB_CONNECTION: 'mysql',
        DB_HOST: '127.0.0.1',
        DB_PORT: String(pair.primaryPort),
        DB_READ_HOSTS: `127.0.0.1:${pair.replicaPort}`,
        DB_USERNAME: 'root',
        DB_PASSWORD: '',
        DB_DATABASE: STEM,
        DB_POOL_MAX: '4',
        DB_STICKY_SECONDS: String(STICKY_SECONDS),
        DB_REPLICA_RETRY_SECONDS: String(RETRY_SECONDS),
      }),
      TEST_LAYOUT,
    );
    const created = await createMissingDatabases(config);
    assert.equal(created.length, TEST_LAYOUT.databases.length, `created ${created.join(', ')}`);
    services = await createServices(config, createLogger(config, { destination: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) } }));
    await migrateAll(services, APPS);
    web = await startWeb(services, APPS);
    // Outside a request nothing is sticky: granting a role reads the roles from the replica.
    await pair.waitForReplica();

    const clients: HostClient[] = [];
    const users = [];
    for (const name of ['Writer', 'Other']) {
      const user = await services.users.create({ email: `${name.toLowerCase()}-${process.pid}@example.test`, name, password: TEST_PASSWORD });
      await services.rbac.grant(user.id, { app: 'flow', role: 'editor' });
      users.push(user);
    }
    // Sign-in reads the user from the replica: it must have the rows first.
    await pair.waitForReplica();
    for (const user of users) {
      const client = new HostClient(web.port, TEST_DOMAIN);
      await client.signIn('flow', user.email, TEST_PASSWORD);
      clients.push(client);
    }
    [writer, other] = clients as [HostClient, HostClient];
  });

  after(async () => {
    try {
      await web?.stop();
      await services?.close();
    } finally {
      await pair?.stop();
      if (storage) rmSync(storage, { recursive: true, force: true });
    }
  });

  it('replicates the migrations and serves reads from the replica', async () => {
    const tables = await pair!.query<{ name: string }[]>('replica', 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?', [`${STEM}_flow`]);
    assert.ok(tables.some((t) => t.name === 'tasks'), JSON.stringify(tables));

    seen = await createTask(writer, 'Seen everywhere');
    diverged = await createTask(writer, 'Primary title');
    await pair!.waitForReplica();
    // Only the replica's copy changes: whatever answers with it was read from the replica.
    await pair!.writeOnReplicaOnly(`UPDATE \`${STEM}_flow\`.tasks SET title = ? WHERE id = ?`, ['Replica title', diverged.id]);
    assert.equal(await primaryTitle(diverged.id), 'Primary title');
    await outlastStickiness();

    for (const client of [other, writer]) {
      const one = await client.get('flow', `/api/tasks/${diverged.id}`);
      assert.equal(one.status, 200);
      assert.deepEqual(one.json(), { ...diverged, title: 'Replica title' });
      const list = await client.get('flow', '/api/tasks');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.json().data.map((t: Task) => t.title),
        ['Replica title', 'Seen everywhere'],
      );
    }

    // /health pings the primaries; that ping is not the session's write, so it does not make the session sticky.
    assert.equal((await other.get('flow', '/health')).status, 200);
    assert.equal((await other.get('flow', `/api/tasks/${diverged.id}`)).json().title, 'Replica title');
  });

  it('reads your own writes from the primary while the replica lags, for DB_STICKY_SECONDS', async () => {
    await outlastStickiness();
    await pair!.pauseReplication();
    try {
      const fresh = await createTask(writer, 'Written while the replica lags');

      // The writing session's next request reads the primary (session stickiness)...
      const own = await writer.get('flow', `/api/tasks/${fresh.id}`);
      assert.equal(own.status, 200, own.text);
      assert.deepEqual(own.json(), fresh);
      // ...another session reads the lagging replica, where the task does not exist yet.
      const elsewhere = await other.get('flow', `/api/tasks/${fresh.id}`);
      assert.equal(elsewhere.status, 404, elsewhere.text);
      assert.equal(elsewhere.json().error.code, 'not_found');

      // Once the stickiness has run out, the writer reads the replica again.
      await outlastStickiness();
      const later = await writer.get('flow', `/api/tasks/${fresh.id}`);
      assert.equal(later.status, 404, later.text);

      // Within one request (no stickiness left): PATCH updates, then reads the row back; that read must see the update.
      const patched = await writer.patch('flow', `/api/tasks/${seen.id}`, { json: { title: 'Patched on the primary' } });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.json().title, 'Patched on the primary');
      assert.equal((await other.get('flow', `/api/tasks/${seen.id}`)).json().title, 'Seen everywhere');

      await pair!.resumeReplication();
      await pair!.waitForReplica();
      const caughtUp = await other.get('flow', `/api/tasks/${fresh.id}`);
      assert.equal(caughtUp.status, 200);
      assert.deepEqual(caughtUp.json(), fresh);
      assert.equal((await other.get('flow', `/api/tasks/${seen.id}`)).json().title, 'Patched on the primary');
    } finally {
      await pair!.resumeReplication();
    }
  });

  it('reads from the primary, with a warning, while the replica is down; /health stays healthy', async () => {
    await outlastStickiness();
    const warningsBefore = logs.length;
    await pair!.stopReplica();
    try {
      // The HostClient fails the test on any 5xx.
      for (let i = 0; i < 3; i++) {
        const response = await other.get('flow', `/api/tasks/${diverged.id}`);
        assert.equal(response.status, 200, response.text);
        assert.equal(response.json().title, 'Primary title', 'answered by the primary');
      }
      const list = await other.get('flow', '/api/tasks');
      assert.equal(list.status, 200);
      assert.equal(list.json().data.length, 3);

      const warnings = logs.slice(warningsBefore).filter((l) => l.level === 40);
      const replica = `127.0.0.1:${pair!.replicaPort}`;
      assert.ok(
        warnings.some((w) => w.database === 'flow' && w.replica === replica && /read replica failed/.test(w.msg)),
        JSON.stringify(warnings),
      );
      assert.deepEqual(
        logs.filter((l) => l.level >= 50),
        [],
        'no errors logged',
      );

      // /health pings the primaries only: a replica down is a logged warning, not an outage.
      const health = await other.get('flow', '/health');
      assert.equal(health.status, 200, health.text);
      assert.deepEqual(health.json(), { status: 'healthy' });
      // The details are internal (the metrics port, `marg health`): the same report, read in-process.
      assert.deepEqual((await healthReport(services!)).body.databases, { accounts: 'healthy', flow: 'healthy', links: 'healthy', rbac: 'healthy', platform: 'healthy' });
    } finally {
      await pair!.startReplica();
    }

    // Back after DB_REPLICA_RETRY_SECONDS: its diverged copy answers again.
    await pair!.waitForReplica();
    await sleep(RETRY_SECONDS * 1000 + 250);
    const logged = logs.length;
    const back = await other.get('flow', `/api/tasks/${diverged.id}`);
    assert.equal(back.status, 200);
    assert.equal(back.json().title, 'Replica title', `warnings since: ${JSON.stringify(logs.slice(logged))}`);
  });
});
