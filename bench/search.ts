// Search budgets (DESIGN §6): query p99 ≤ 20 ms on 100,000 documents with the embedded driver;
// reindex ≥ 5,000 documents/s. Per driver (sqlite FTS5, MariaDB FULLTEXT, PostgreSQL tsvector):
// a reindex of BENCH_SEARCH_DOCS generated tasks through src/search/indexing.ts (new index,
// alias swap), then BENCH_SEARCH_QUERIES mixed queries one after another (words, a prefix, a
// phrase, with and without filters), timed through the Search facade.
// Run: `npm run bench:search` (BENCH_SEARCH_DRIVERS=sqlite,mysql,pgsql). Results: bench/RESULTS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureDatabaseExists } from '../src/database/create-database.ts';
import { loadDialect } from '../src/database/dialects.ts';
import { createServerConnection } from '../src/database/server.ts';
import type { ServerDatabaseConfig } from '../src/database/settings.ts';
import { openSqliteFile } from '../src/database/sqlite-file.ts';
import type { SearchEngine, SearchQuery } from '../src/search/contract.ts';
import { reindex } from '../src/search/indexing.ts';
import { MysqlFulltextEngine } from '../src/search/mysql-fulltext.ts';
import { PgsqlTsvectorEngine } from '../src/search/pgsql-tsvector.ts';
import { SqliteFtsEngine } from '../src/search/sqlite-fts.ts';
import { TASKS_INDEX } from '../apps/flow/search-index.ts';
import { dropServerDatabase } from '../test/support/server-databases.ts';
import { commonWord, queries, queryWord, taskSource } from './search-data.ts';

const DOCS = Number(process.env.BENCH_SEARCH_DOCS ?? 100_000);
const QUERIES = Number(process.env.BENCH_SEARCH_QUERIES ?? 1_000);
const DRIVERS = (process.env.BENCH_SEARCH_DRIVERS ?? 'sqlite,mysql,pgsql').split(',');

const source = taskSource(DOCS);
console.log(`load average at the start ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores: the machine may be shared)`);

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function open(driver: string): Promise<{ engine: SearchEngine; close(): Promise<void> }> {
  if (driver === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'marg-bench-search-'));
    const engine = new SqliteFtsEngine(() => openSqliteFile(join(dir, 'search.sqlite')));
    return { engine, close: async () => (await engine.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const dialect = driver as 'mysql' | 'pgsql';
  const config: ServerDatabaseConfig = {
    connection: dialect,
    host: '127.0.0.1',
    port: dialect === 'mysql' ? 3306 : 5432,
    user: dialect === 'mysql' ? 'root' : 'postgres',
    password: '',
    database: `marg_bench_search_${randomBytes(3).toString('hex')}`,
    poolMax: 4,
    readHosts: [],
  };
  await ensureDatabaseExists(config);
  const connection = createServerConnection('bench', config, { replicaRetryMs: 10_000, onReplicaDown: () => {} }, await loadDialect(dialect));
  const engine = dialect === 'mysql' ? new MysqlFulltextEngine(connection) : new PgsqlTsvectorEngine(connection);
  return { engine, close: async () => (await connection.close(), await dropServerDatabase(config)) };
}

const rows: string[] = [];
for (const driver of DRIVERS) {
  const { engine, close } = await open(driver);
  try {
    let last = 0;
    const cpuBefore = process.cpuUsage();
    const report = await reindex(engine, source, (p) => {
      if (process.stderr.isTTY && p.done - last >= 10_000) {
        last = p.done;
        process.stderr.write(`\r${driver}: ${p.done}/${p.total}\x1b[K`);
      }
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    const reindexCpu = cpuSeconds(process.cpuUsage(cpuBefore));
    const rate = Math.round(DOCS / report.seconds);
    // SQLite runs in this process, so its CPU time is the engine's work, whatever else the machine
    // runs; the server drivers work in their server, so only the wall-clock columns apply to them.
    const inProcess = driver === 'sqlite';
    const perCpu = inProcess ? Math.round(DOCS / reindexCpu).toLocaleString('en') : '—';
    const timed = async (list: SearchQuery[]) => {
      for (const q of list.slice(0, 20)) await engine.search(TASKS_INDEX, q); // warm the caches
      const wall: number[] = [];
      const cpu: number[] = [];
      for (const q of list) {
        const started = performance.now();
        const cpuStarted = process.cpuUsage();
        await engine.search(TASKS_INDEX, q);
        cpu.push(cpuSeconds(process.cpuUsage(cpuStarted)) * 1000);
        wall.push(performance.now() - started);
      }
      return { wall: wall.sort((x, y) => x - y), cpu: cpu.sort((x, y) => x - y) };
    };
    const typical = await timed(queries(queryWord, QUERIES));
    const common = await timed(queries(commonWord, QUERIES).slice(0, Math.max(20, Math.floor(QUERIES / 5))));
    const ms = (t: number[], p: number) => percentile(t, p).toFixed(2);
    const both = (t: { wall: number[]; cpu: number[] }, p: number) => `${ms(t.wall, p)}${inProcess ? ` (${ms(t.cpu, p)})` : ''}`;
    rows.push(`| ${driver} | ${DOCS.toLocaleString('en')} | ${rate.toLocaleString('en')} | ${perCpu} | ${both(typical, 50)} | ${both(typical, 99)} | ${both(common, 50)} | ${both(common, 99)} |`);
    console.log(
      `${driver}: reindex ${rate} documents/s (${report.seconds.toFixed(1)} s, ${perCpu} per CPU-second of this process); typical queries p50 ${both(typical, 50)} ms, p99 ${both(typical, 99)} ms (${typical.wall.length}); commonest words p50 ${both(common, 50)} ms, p99 ${both(common, 99)} ms (${common.wall.length}); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`,
    );
  } finally {
    await close();
  }
}
console.log('\nWall-clock ms (in parentheses: CPU ms of this process, the engine\'s own work for the in-process sqlite driver)');
console.log('| driver | documents | reindex documents/s | per CPU-second | query p50 ms | query p99 ms | commonest words p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
