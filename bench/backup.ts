// Backup and restore throughput (issue 14): `npm run bench:backup` (node --import tsx bench/backup.ts).
// Generates BENCH_BACKUP_MB (default 1024) of data in a temporary project — half as rows of a
// SQLite table in the flow database (4 KB of base64 text each: compresses like real text
// columns), half as 1 MB objects of random bytes in the local object storage (incompressible,
// like images) — then times the real CLI: `marg backup` into a folder, and `marg restore
// --force` of that backup over the wiped project. MB/s = uncompressed bytes / wall time of the
// command (process start included). BENCH_DB=mysql|pgsql puts the databases on the local
// MariaDB/PostgreSQL instead (databases of its own, dropped at the end). BENCH_S3=1 adds a line
// for the same data backed up to and restored from S3 (`--to s3://…`) on an s3rver started here
// (loopback HTTP, objects on this disk: it measures Marg's S3 path — SDK, multipart, HTTP — and
// is given as a ratio to the folder line of the same run, not as a figure for AWS).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { APPS } from '../apps/index.ts';
import { writeAppKey } from '../src/config/app-key.ts';
import { loadConfig } from '../src/config/config.ts';
import { appLayout } from '../src/platform/app-registry.ts';
import { createMissingDatabases } from '../src/platform/connectivity.ts';
import { migrateAll } from '../src/platform/migrate.ts';
import { createServices } from '../src/platform/services.ts';
import { createLogger } from '../src/observability/logger.ts';
import { S3Destination } from '../src/backup/s3-destination.ts';
import { parseS3Url } from '../src/backup/s3-url.ts';
import { dropServerDatabase } from '../test/support/server-databases.ts';
import { startS3Server, type TestS3Server } from '../test/support/s3-server.ts';
import type { ServerDatabaseConfig } from '../src/database/settings.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MB = 1024 * 1024;
const TOTAL_MB = Number(process.env.BENCH_BACKUP_MB ?? 1024);
const DB = process.env.BENCH_DB ?? 'sqlite';
const WITH_S3 = process.env.BENCH_S3 === '1';
const ROW_BYTES = 4096;
const OBJECT_BYTES = MB;

const dir = mkdtempSync(join(tmpdir(), 'marg-bench-backup-'));
writeAppKey(dir);
const env: Record<string, string> = { ...process.env as Record<string, string>, LOG_LEVEL: 'warn' };
if (DB !== 'sqlite') Object.assign(env, { DB_CONNECTION: DB, DB_HOST: '127.0.0.1', DB_PORT: DB === 'mysql' ? '3306' : '5432', DB_USERNAME: DB === 'mysql' ? 'root' : 'postgres', DB_DATABASE: `marg_bench_${randomBytes(4).toString('hex')}` });
const config = loadConfig({ cwd: dir, env, layout: appLayout(APPS) });
const say = (line: string) => process.stderr.write(`${line}\n`);

async function generate(): Promise<void> {
  const services = await createServices(config, createLogger({ logLevel: 'warn' }));
  try {
    await createMissingDatabases(config);
    await migrateAll(services, APPS);
    const flow = services.databases.get('flow').db as Kysely<any>;
    await sql`CREATE TABLE bench_rows (id integer primary key, body text not null)`.execute(flow);
    const rows = Math.floor((TOTAL_MB * MB) / 2 / ROW_BYTES);
    const batch = 250;
    for (let i = 0; i < rows; i += batch) {
      const values = Array.from({ length: Math.min(batch, rows - i) }, (_, j) => ({ id: i + j + 1, body: randomBytes((ROW_BYTES * 3) / 4).toString('base64') }));
      await flow.insertInto('bench_rows').values(values).execute();
    }
    const objects = Math.floor((TOTAL_MB * MB) / 2 / OBJECT_BYTES);
    for (let i = 0; i < objects; i++) await services.storage.put(`bench/${String(i).padStart(5, '0')}`, randomBytes(OBJECT_BYTES), { contentType: 'application/octet-stream' });
    say(`generated ${rows} rows of ${ROW_BYTES} bytes and ${objects} objects of ${OBJECT_BYTES} bytes (${DB} + local disk)`);
  } finally {
    await services.close();
  }
}

/** Runs the CLI; its stdout goes to `output` when given (else to ours), stderr (progress) to ours. */
function marg(args: string[], output?: string[]): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/marg.js'), ...args], { cwd: dir, env, stdio: ['ignore', output ? 'pipe' : 'inherit', 'inherit'] });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output?.push(chunk);
      process.stderr.write(chunk);
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`marg ${args.join(' ')} exited ${code}`))));
  });
}

function folderBytes(path: string): number {
  return readdirSync(path, { withFileTypes: true, recursive: true }).reduce((n, e) => (e.isFile() ? n + statSync(join(e.parentPath, e.name)).size : n), 0);
}

/** Backs up to `to`, wipes, restores from `from(name)`; seconds of each, and the uncompressed bytes. */
async function roundTrip(to: string, from: (name: string) => string, manifestOf: (name: string) => Promise<Manifest>, storedOf: (name: string) => Promise<number>) {
  const output: string[] = [];
  const backupSeconds = await marg(['backup', '--to', to], output);
  const name = /^Backup (marg-\S+) written/m.exec(output.join(''))?.[1];
  if (!name) throw new Error(`no backup name in: ${output.join('')}`);
  const manifest = await manifestOf(name);
  const raw = manifest.parts.reduce((n, p) => n + p.rawSize, 0);
  const stored = await storedOf(name);
  rmSync(join(dir, 'storage', 'app'), { recursive: true, force: true });
  if (DB === 'sqlite') rmSync(join(dir, 'storage', 'database'), { recursive: true, force: true });
  const restoreSeconds = await marg(['restore', from(name), '--force']);
  return { raw, stored, backupSeconds, restoreSeconds };
}

type Manifest = { parts: { rawSize: number; size: number }[] };
let s3: TestS3Server | undefined;

try {
  await generate();
  const rows: string[] = [];
  const line = (where: string, r: Awaited<ReturnType<typeof roundTrip>>, ratio = 'baseline') => {
    const mb = r.raw / MB;
    rows.push(`| ${TOTAL_MB} MB generated, ${DB} + local disk → ${where} | ${mb.toFixed(0)} MB | ${(r.stored / MB).toFixed(0)} MB | ${r.backupSeconds.toFixed(1)} s | ${(mb / r.backupSeconds).toFixed(1)} | ${r.restoreSeconds.toFixed(1)} s | ${(mb / r.restoreSeconds).toFixed(1)} |${WITH_S3 ? ` ${ratio} |` : ''}`);
    return r;
  };
  const folder = line(
    'folder',
    await roundTrip(
      'backups',
      (name) => join(dir, 'backups', name),
      async (name) => JSON.parse(readFileSync(join(dir, 'backups', name, 'manifest.json'), 'utf8')) as Manifest,
      async (name) => folderBytes(join(dir, 'backups', name)),
    ),
  );
  if (WITH_S3) {
    s3 = await startS3Server();
    const bucket = await s3.createBucket();
    Object.assign(env, s3.env(bucket), { FILESYSTEM_DISK: 'local' });
    const url = `s3://${bucket}/bench`;
    const { bucket: _, ...connection } = s3.config(bucket);
    // Through the backup destination: backup names have capitals, which the storage port's keys do not allow.
    const destination = new S3Destination(parseS3Url(url), connection);
    try {
      const manifestOf = async (name: string) => JSON.parse((await destination.open(name).readSmall('manifest.json'))!.toString('utf8')) as Manifest;
      const r = await roundTrip(url, (name) => `${url}/${name}`, manifestOf, async (name) => (await manifestOf(name)).parts.reduce((n, p) => n + p.size, 0));
      line('S3 (s3rver, loopback)', r, `backup ${((folder.backupSeconds / r.backupSeconds) * 100).toFixed(0)} %, restore ${((folder.restoreSeconds / r.restoreSeconds) * 100).toFixed(0)} % of the folder's speed`);
    } finally {
      await destination.close();
    }
  }
  process.stdout.write(
    [
      `| data | raw | stored (gzip) | backup | backup MB/s | restore (verify + write) | restore MB/s |${WITH_S3 ? ' S3 vs folder |' : ''}`,
      `|---|---:|---:|---:|---:|---:|---:|${WITH_S3 ? '---|' : ''}`,
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  for (const d of Object.values(config.databases)) if (d.connection !== 'sqlite') await dropServerDatabase(d as ServerDatabaseConfig).catch(() => {});
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
}
