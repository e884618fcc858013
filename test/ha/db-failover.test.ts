import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APPS } from '../../apps/index.ts';
import { buildConfig, type Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMissingDatabases } from '../../src/platform/connectivity.ts';
import { migrateAll } from '../../src/platform/migrate.ts';
import { createServices, type Services } from '../../src/platform/services.ts';
import { startWeb, type RunningWeb } from '../../src/platform/web-role.ts';
import { freePort } from '../../src/cluster/members.ts';
import { cleanupCli, describeResult, runMarg, tempDir } from '../support/cli.ts';
import { HostClient } from '../support/client.ts';
import { mariaDbPairAvailable, startMariaDbPair, type MariaDbPair } from '../support/mariadb-pair.ts';
import { TEST_DOMAIN, TEST_LAYOUT, TEST_PASSWORD, testEnv } from '../support/platform.ts';
import { Probe, sleep, table } from './support.ts';
import { until } from '../support/wait.ts';
import { registry } from '../../src/observability/metrics.ts';

const STEM = `marg_dbha_${process.pid}`;
// Every database on the pair, every store embedded (sessions survive the node restart in the storage folder).
const PINNED_BACKENDS = Object.fromEntries([
  ...['ACCOUNTS', 'FLOW', 'LINKS', 'RBAC'].flatMap((name) => ['DRIVER', 'HOST', 'PORT', 'DATABASE', 'USERNAME', 'PASSWORD', 'READ_HOSTS'].map((v) => [`${name}_DB_${v}`, ''])),
  ...['SESSION_DRIVER', 'CACHE_STORE', 'LOCK_STORE', 'RATE_LIMIT_STORE'].map((v) => [v, 'sqlite']),
  ['QUEUE_CONNECTION', 'database'],
]);

const mariadb = await mariaDbPairAvailable();

/**
 * The guides' MySQL primary + replica (deploy/mysql/*.cnf: GTID, binlog, semi-synchronous
 * replication, read-only replica) behind one in-process web node: losing the replica under
 * read load, then losing the primary under write load and promoting the replica with
 * `marg db:promote`; the node follows after its DB_HOST is changed and it is restarted.
 */
describe('database failover: MariaDB primary and replica from deploy/mysql', { skip: mariadb.skipReason, timeout: 110_000 }, () => {
  let pair: MariaDbPair | undefined;
  let storage: string;
  let port: number;
  let appKey: string;
  let services: Services | undefined;
  let web: RunningWeb | undefined;
  let client: HostClient;
  let cookie: string;

  function nodeConfig(primaryPort: number, readHosts: string, extra: Record<string, string> = {}): Config {
    return buildConfig(
      storage,
      testEnv(storage, {
        ...PINNED_BACKENDS,
        APP_KEY: appKey,
        PORT: String(port),
        LOG_LEVEL: 'silent',
        DB_CONNECTION: 'mysql',
        DB_HOST: '127.0.0.1',
        DB_PORT: String(primaryPort),
        DB_READ_HOSTS: readHosts,
        DB_USERNAME: 'root',
        DB_PASSWORD: '',
        DB_DATABASE: STEM,
        DB_POOL_MAX: '4',
        DB_STICKY_SECONDS: '0',
        DB_REPLICA_RETRY_SECONDS: '2',
        ...extra,
      }),
      TEST_LAYOUT,
    );
  }

  async function startNode(config: Config): Promise<void> {
    services = await createServices(config, createLogger({ logLevel: 'silent' }));
    web = await startWeb(services, APPS);
  }

  async function stopNode(): Promise<void> {
    await web?.stop();
    await services?.close();
    web = undefined;
    services = undefined;
  }

  before(async () => {
    pair = await startMariaDbPair();
    storage = mkdtempSync(join(tmpdir(), 'marg-dbha-'));
    port = await freePort();
    appKey = String(testEnv(storage).APP_KEY);
    const config = nodeConfig(pair.primaryPort, `127.0.0.1:${pair.replicaPort}`);
    await createMissingDatabases(config);
    await startNode(config);
    await migrateAll(services!, APPS);
    // Granting reads the seeded roles from the replica (nothing is sticky outside a request): it must have them.
    await pair.waitForReplica();
    const user = await services!.users.create({ email: `dbha-${process.pid}@example.test`, name: 'Failover', password: TEST_PASSWORD });
    await services!.rbac.grant(user.id, { app: 'flow', role: 'editor' });
    await pair.waitForReplica();
    client = new HostClient(port, TEST_DOMAIN);
    await client.signIn('flow', user.email, TEST_PASSWORD);
    cookie = await client.jar.getCookieString(client.url('flow', '/api/tasks'));
  });

  after(async () => {
    try {
      await stopNode();
    } finally {
      await pair?.stop();
      rmSync(storage, { recursive: true, force: true });
      await cleanupCli();
    }
  });

  it('the servers run deploy/mysql as shipped: GTID strict, binlog on both, semi-sync acknowledged by the replica, read-only replica', async () => {
    const [primary] = await pair!.query<Record<string, unknown>[]>('primary', 'SELECT @@gtid_strict_mode AS strict, @@log_bin AS bin, @@read_only AS ro, @@sync_binlog AS sync');
    const [replica] = await pair!.query<Record<string, unknown>[]>('replica', 'SELECT @@gtid_strict_mode AS strict, @@log_bin AS bin, @@read_only AS ro, @@log_slave_updates AS lsu');
    assert.deepEqual({ strict: Number(primary!.strict), bin: Number(primary!.bin), ro: Number(primary!.ro) }, { strict: 1, bin: 1, ro: 0 });
    assert.deepEqual({ strict: Number(replica!.strict), bin: Number(replica!.bin), ro: Number(replica!.ro), lsu: Number(replica!.lsu) }, { strict: 1, bin: 1, ro: 1, lsu: 1 });
    const semi = await pair!.query<{ Variable_name: string; Value: string }[]>('primary', "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_clients')");
    assert.deepEqual(Object.fromEntries(semi.map((r) => [r.Variable_name, r.Value])), { Rpl_semi_sync_master_clients: '1', Rpl_semi_sync_master_status: 'ON' });
  });

  it('losing the replica under read load: reads go to the primary, no request fails', async (t) => {
    const probes = [0, 1, 2].map(() => new Probe(port, `flow.${TEST_DOMAIN}`, '/api/tasks', cookie, 30));
    await sleep(1_000);
    const stopAt = Date.now();
    await pair!.stopReplica();
    await sleep(2_500);
    await Promise.all(probes.map((p) => p.stop()));
    const results = probes.flatMap((p) => p.results);
    const failed = results.filter((r) => !r.ok);
    t.diagnostic(`replica stopped under read load: ${results.filter((r) => r.at >= stopAt).length} reads after the stop, ${failed.length} failed (${[...new Set(failed.map((f) => f.what))].join(', ') || 'none'})`);
    assert.ok(results.length > 50, `the read load ran (${results.length} requests)`);
    assert.deepEqual(failed, [], 'no read failed while the replica went away');
    await pair!.startReplica();
    await pair!.waitForReplica();
  });

  it('DB_REPLICA_MAX_LAG: reads skip a replica that is too far behind, and come back when it catches up; marg_db_replica_lag_seconds per replica', async () => {
    await stopNode();
    await startNode(nodeConfig(pair!.primaryPort, `127.0.0.1:${pair!.replicaPort}`, { DB_REPLICA_MAX_LAG: '5' }));
    // The client's kept-alive socket went with the old node: one request to notice.
    await client.get('flow', '/api/me').catch(() => undefined);
    const created = await client.post('flow', '/api/tasks', { json: { title: 'on the primary' } });
    assert.equal(created.status, 201, created.text);
    const id = Number(created.json().id);
    await pair!.waitForReplica();
    // Only the replica's copy differs: what answers with it was read there.
    await pair!.writeOnReplicaOnly(`UPDATE \`${STEM}_flow\`.tasks SET title = ? WHERE id = ?`, ['on the replica', id]);
    const title = async () => (await client.get('flow', `/api/tasks/${id}`)).json().title as string;
    const lag = async () => (await registry.getSingleMetric('marg_db_replica_lag_seconds')!.get()).values.find((v) => v.labels.database === 'flow' && v.labels.replica === `127.0.0.1:${pair!.replicaPort}`)?.value;
    await until(async () => (await title()) === 'on the replica', 5_000);
    const measured = await lag();
    assert.ok(measured !== undefined && measured <= 1, `a replica that keeps up lags ≤ 1 s (Seconds_Behind_Master), measured ${measured}`);

    // The replica stops applying: it falls behind for good (Seconds_Behind_Master NULL: +Inf).
    await pair!.query('replica', 'STOP SLAVE SQL_THREAD');
    try {
      await until(async () => (await lag()) === Infinity, 5_000);
      for (let i = 0; i < 5; i++) assert.equal(await title(), 'on the primary', 'read from the primary while the replica lags');
    } finally {
      await pair!.query('replica', 'START SLAVE SQL_THREAD');
    }
    await pair!.waitForReplica();
    await until(async () => ((await lag()) ?? Infinity) <= 1 && (await title()) === 'on the replica', 5_000);
    // Back to the plain node (reads on the replica) for the promotion below.
    await stopNode();
    await startNode(nodeConfig(pair!.primaryPort, `127.0.0.1:${pair!.replicaPort}`));
    await client.get('flow', '/api/me').catch(() => undefined);
  });

  it('losing the primary under write load: `marg db:promote` promotes the replica, the node follows DB_HOST, no acknowledged row is lost', async (t) => {
    // Reads on the primary only from here on: the point is the writes.
    const written: { title: string; at: number; status: number }[] = [];
    let writing = true;
    let n = 0;
    const writer = (async () => {
      while (writing) {
        const title = `row-${++n}`;
        const response = await client.post('flow', '/api/tasks', { json: { title }, allowServerError: true }).catch((error: Error) => ({ status: 0, text: error.message }));
        written.push({ title, at: Date.now(), status: response.status });
        await sleep(20);
      }
    })();
    // Some rows acknowledged before the kill (the machine may be slow: bounded by rows, not by time).
    await until(() => written.filter((w) => w.status === 201).length >= 20, 30_000);

    const killAt = Date.now();
    await pair!.killPrimary();
    const promotedAt = Date.now();
    const promote = await runMarg(['db:promote', '--replica', `127.0.0.1:${pair!.replicaPort}`, '--no-fence', '--timeout', '30'], {
      cwd: tempDir(),
      env: { APP_KEY: appKey, DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: String(pair!.primaryPort), DB_USERNAME: 'root', DB_PASSWORD: '', DB_DATABASE: STEM },
      timeoutMs: 60_000,
    });
    assert.equal(promote.code, 0, describeResult(promote));
    assert.match(promote.stdout, new RegExp(`127\\.0\\.0\\.1:${pair!.replicaPort} is the primary now`));
    const promoteMs = Date.now() - promotedAt;

    // The configuration change: DB_HOST is the promoted replica, no read hosts left; the node restarts.
    await stopNode();
    await startNode(nodeConfig(pair!.replicaPort, ''));
    const restartedAt = Date.now();
    const deadline = Date.now() + 20_000;
    while (!written.some((w) => w.at > restartedAt && w.status === 201) && Date.now() < deadline) await sleep(50);
    await sleep(500);
    writing = false;
    await writer;

    const acknowledged = written.filter((w) => w.status === 201);
    const before = acknowledged.filter((w) => w.at < killAt);
    const lastBefore = before.at(-1)!.at;
    const firstAfter = acknowledged.find((w) => w.at > killAt);
    assert.ok(firstAfter, 'writes resumed on the promoted node');
    const rows = await pair!.query<{ title: string }[]>('replica', `SELECT title FROM \`${STEM}_flow\`.tasks`);
    const present = new Set(rows.map((r) => r.title));
    const missing = acknowledged.filter((w) => !present.has(w.title)).map((w) => w.title);
    const [state] = await pair!.query<{ ro: number }[]>('replica', 'SELECT @@read_only AS ro');
    t.diagnostic(
      `\n${table([
        ['failover', 'marg db:promote (process)', 'promotion itself', 'write outage', 'failed writes', 'acknowledged', 'acknowledged before the kill', 'missing'],
        ['primary SIGKILL', `${promoteMs} ms`, `${/Promoted in (\d+) ms/.exec(promote.stdout)?.[1] ?? '?'} ms`, `${firstAfter.at - lastBefore} ms`, String(written.filter((w) => w.status !== 201).length), String(acknowledged.length), String(before.length), String(missing.length)],
      ])}\nfailed writes: ${[...new Set(written.filter((w) => w.status !== 201).map((w) => w.status))].join(', ') || 'none'}`,
    );
    assert.ok(before.length >= 20, `the write load ran before the kill (${before.length} rows)`);
    assert.deepEqual(missing, [], 'every row acknowledged (201) is on the promoted node');
    assert.equal(Number(state!.ro), 0, 'the promoted node takes writes');
    assert.deepEqual(await pair!.query('replica', 'SHOW SLAVE STATUS'), [], 'and follows nobody');
    assert.ok(written.filter((w) => w.status >= 500).every((w) => w.status === 503), `a failover answers 503, never 500: ${JSON.stringify(written.filter((w) => w.status >= 500 && w.status !== 503).slice(0, 3))}`);
  });
});
