import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { thumbnailKeyOf } from '../../apps/flow/attachment-files.ts';
import { AttachmentStore } from '../../apps/flow/attachments-store.ts';
import { APPS } from '../../apps/index.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { createMissingDatabases } from '../../src/platform/connectivity.ts';
import { migrateAll } from '../../src/platform/migrate.ts';
import { seedIfEmpty } from '../../src/platform/seed.ts';
import type { Services } from '../../src/platform/services.ts';
import { withCliServices } from '../support/cli.ts';

/**
 * Seeds what a restore must bring back: users and roles and their grants (the demo seed),
 * tasks with flow attachments (rows, files and thumbnails), links with click counts and daily
 * click rows, and avatar files of several sizes.
 */
export async function seedEverything(cwd: string, env: RawEnv = {}): Promise<void> {
  await withCliServices(cwd, env, async (services) => {
    await createMissingDatabases(services.config);
    await migrateAll(services, APPS);
    await seedIfEmpty(services, APPS);
    const links = services.databases.get<Record<string, { id: number; clicks: number }>>('links').db;
    await sql`UPDATE links SET clicks = id * 7 + 3`.execute(links);
    await sql`INSERT INTO link_clicks_daily (link_id, day, clicks) SELECT id, '2026-12-01', id * 7 + 3 FROM links`.execute(links);
    const users = await sql<{ id: number }>`SELECT id FROM users ORDER BY id`.execute(services.databases.get('rbac').db);
    for (const { id } of users.rows) {
      await services.storage.put(`avatars/${id}/original`, randomBytes(1000 + id * 3001), { contentType: 'image/png' });
      await services.storage.put(`avatars/${id}/thumb.webp`, randomBytes(200 + id), { contentType: 'image/webp' });
    }
    // Flow attachments: a row per file in the flow database, the bytes (and a thumbnail) in the object storage.
    const tasks = await sql<{ id: number; owner_id: number }>`SELECT id, owner_id FROM tasks ORDER BY id`.execute(services.databases.get('flow').db);
    const attachments = AttachmentStore.of(services);
    for (const [i, task] of tasks.rows.slice(0, 3).entries()) {
      const storageKey = `flow/attachments/${task.id}/${randomUUID()}/original`;
      const bytes = randomBytes(5000 + i * 70_001);
      await services.storage.put(storageKey, bytes, { contentType: 'image/png' });
      const attachment = await attachments.create({ taskId: task.id, filename: `scan ${i}.png`, contentType: 'image/png', size: bytes.length, storageKey, uploadedBy: task.owner_id });
      await services.storage.put(thumbnailKeyOf(storageKey), randomBytes(300 + i), { contentType: 'image/webp' });
      await attachments.setThumbnail(attachment.id, thumbnailKeyOf(storageKey));
    }
    await services.storage.put('reports/empty.csv', Buffer.alloc(0), { contentType: 'text/csv; charset=utf-8' });
  });
}

export interface DataSnapshot {
  readonly databases: Record<string, Record<string, string[]>>;
  readonly migrations: Record<string, string[]>;
  /** key → content type and SHA-256 of the bytes, read through the storage port. */
  readonly files: Record<string, string>;
}

/** Every row of every table of every database (each row as JSON, sorted), and every stored object. */
export function snapshotData(cwd: string, env: RawEnv = {}): Promise<DataSnapshot> {
  return withCliServices(cwd, env, async (services) => {
    const databases: DataSnapshot['databases'] = {};
    const migrations: DataSnapshot['migrations'] = {};
    for (const name of services.config.layout.databases) {
      const db = services.databases.get(name).db;
      const tables = (await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name).sort();
      databases[name] = {};
      for (const table of tables) {
        if (table === 'marg_migrations_lock') continue;
        const rows = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)}`.execute(db);
        databases[name][table] = rows.rows.map((r) => JSON.stringify(r)).sort();
      }
      migrations[name] = databases[name].marg_migrations?.map((r) => (JSON.parse(r) as { name: string }).name).sort() ?? [];
    }
    return { databases, migrations, files: await files(services) };
  });
}

/** Through the port's listing, so that it reads the local disk and an S3 bucket alike. */
async function files(services: Services): Promise<Record<string, string>> {
  const keys: string[] = [];
  for await (const object of services.storage.list('')) keys.push(object.key);
  const out: Record<string, string> = {};
  for (const key of keys.sort()) {
    const object = await services.storage.get(key);
    out[key] = object ? `${object.contentType} ${createHash('sha256').update(object.body).digest('hex')} ${object.body.length}` : 'missing';
  }
  return out;
}

/** Total rows, to check a snapshot is not trivially empty. */
export function rowCount(snapshot: DataSnapshot, database: string, table: string): number {
  return snapshot.databases[database]?.[table]?.length ?? 0;
}
