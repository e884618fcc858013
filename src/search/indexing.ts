import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { SearchEngine } from './contract.ts';
import type { SearchSource } from './source.ts';

/** Records read and written per round trip by the sync and the reindex. */
export const SCAN_BATCH = 1_000;

export const IndexJobPayload = Type.Object(
  {
    index: Type.String({ pattern: '^[a-z][a-z0-9_]{0,39}$' }),
    records: Type.Array(Type.Tuple([Type.String({ minLength: 1, maxLength: 64 }), Type.Number({ minimum: 0 })]), { minItems: 1, maxItems: 500 }),
    /** When the change was dispatched (ms), for the lag. */
    at: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/**
 * Runs one `search.index` job: loads the records' current documents and writes them, or
 * deletes the ones that are gone. Safe to run twice and in any order: every write carries the
 * record's version and the engine keeps the highest.
 */
export async function applyIndexJob(engine: SearchEngine, sources: ReadonlyMap<string, SearchSource>, payload: unknown): Promise<{ index: string; lagMs: number }> {
  if (!Value.Check(IndexJobPayload, payload)) throw new Error(`search.index: bad payload (${[...Value.Errors(IndexJobPayload, payload)][0]?.message ?? 'invalid'})`);
  const source = sources.get(payload.index);
  if (!source) throw new Error(`search.index: no index "${payload.index}" is declared by an app`);
  const ids = [...new Set(payload.records.map(([id]) => id))];
  await engine.ensureIndex(source.definition);
  const documents = await source.load(ids);
  const present = new Set(documents.map((d) => d.id));
  const deletions = payload.records.filter(([id]) => !present.has(id)).map(([id, version]) => ({ id, version }));
  if (documents.length > 0) await engine.upsert(source.definition, source.definition.name, documents);
  if (deletions.length > 0) await engine.delete(source.definition, source.definition.name, deletions);
  return { index: payload.index, lagMs: Math.max(0, Date.now() - payload.at) };
}

export interface SyncReport {
  readonly index: string;
  readonly written: number;
  readonly deleted: number;
}

/**
 * The nightly consistency sync (the guides' 00:00 full sync): writes every record whose
 * document is missing or older, and deletes documents whose record is gone. Cheap when nothing
 * drifted: versions are compared a batch at a time and only differences are written.
 */
export async function syncIndex(engine: SearchEngine, source: SearchSource, signal?: AbortSignal, target: string = source.definition.name): Promise<SyncReport> {
  const definition = source.definition;
  await engine.ensureIndex(definition);
  let written = 0;
  let deleted = 0;
  let after: string | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const batch = await source.scan(after, SCAN_BATCH);
    if (batch.length === 0) break;
    const stored = await engine.versions(definition, target, batch.map((d) => d.id));
    const stale = batch.filter((d) => stored.get(d.id) !== d.version);
    if (stale.length > 0) await engine.upsert(definition, target, stale);
    written += stale.length;
    after = batch[batch.length - 1]!.id;
    if (batch.length < SCAN_BATCH) break;
  }
  let cursor: string | undefined;
  const now = Date.now();
  for (;;) {
    signal?.throwIfAborted();
    const ids = await engine.ids(definition, target, cursor, SCAN_BATCH);
    if (ids.length === 0) break;
    const alive = new Set((await source.load(ids)).map((d) => d.id));
    const gone = ids.filter((id) => !alive.has(id));
    if (gone.length > 0) await engine.delete(definition, target, gone.map((id) => ({ id, version: now })));
    deleted += gone.length;
    cursor = ids[ids.length - 1];
    if (ids.length < SCAN_BATCH) break;
  }
  await engine.refresh(target);
  return { index: definition.name, written, deleted };
}

export interface ReindexProgress {
  readonly index: string;
  readonly done: number;
  readonly total: number;
}

export interface ReindexReport {
  readonly index: string;
  readonly physical: string;
  readonly documents: number;
  readonly seconds: number;
}

/**
 * Zero-downtime rebuild: every document goes into a new physical index while queries keep
 * reading the old one; then the alias is swapped in one step, a sync catches up with the
 * changes made meanwhile, and the old index is dropped. A reindex killed half-way leaves the
 * alias on the old index (still complete and kept current by the index jobs); its unfinished
 * index is dropped by the next reindex.
 */
export async function reindex(engine: SearchEngine, source: SearchSource, onProgress?: (progress: ReindexProgress) => void, signal?: AbortSignal): Promise<ReindexReport> {
  const started = performance.now();
  const definition = source.definition;
  const current = await engine.resolveAlias(definition.name);
  for (const leftover of await engine.physicalIndexes(definition.name)) {
    if (leftover !== current) await engine.dropIndex(leftover);
  }
  const total = await source.count();
  const physical = await engine.createIndex(definition);
  let done = 0;
  let after: string | undefined;
  onProgress?.({ index: definition.name, done, total });
  for (;;) {
    signal?.throwIfAborted();
    const batch = await source.scan(after, SCAN_BATCH);
    if (batch.length === 0) break;
    await engine.upsert(definition, physical, batch);
    done += batch.length;
    after = batch[batch.length - 1]!.id;
    onProgress?.({ index: definition.name, done, total: Math.max(total, done) });
    if (batch.length < SCAN_BATCH) break;
  }
  await engine.refresh(physical);
  const before = await engine.swapAlias(definition.name, physical);
  await syncIndex(engine, source, signal);
  if (before !== undefined && before !== physical) await engine.dropIndex(before);
  return { index: definition.name, physical, documents: await engine.count(definition), seconds: (performance.now() - started) / 1000 };
}
