import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { sql } from 'kysely';
import type { DatabaseConnection } from '../../src/database/contract.ts';
import { isUniqueViolation } from '../../src/database/errors.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { JobFactory } from '../../src/platform/app-module.ts';
import type { Queue } from '../../src/queue/queue.ts';
import type { ScheduledTask } from '../../src/scheduler/contract.ts';
import type { LinksDatabase } from './links-store.ts';

export const CLICKS_JOB = 'links.clicks';
/** Where counted clicks are announced; `links.links.read` may listen (apps/links/index.ts). */
export const CLICKS_CHANNEL = 'private-links.clicks';
/** Most a buffer holds before it dispatches early. */
const MAX_PENDING = 1_000;
/** Refused batches kept for another try: a minute of a busy node's clicks. */
const MAX_UNSENT = 60;
/** A batch's id is remembered this long, so a redelivery within it is recognised; far above QUEUE_RETRY_AFTER. */
export const LEDGER_KEEP_MS = 60 * 60 * 1000;

const ClickBatch = Type.Object(
  {
    batch: Type.String({ minLength: 1, maxLength: 36 }),
    day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    counts: Type.Array(Type.Tuple([Type.Integer({ minimum: 1 }), Type.Integer({ minimum: 1 })]), { minItems: 1, maxItems: MAX_PENDING }),
  },
  { additionalProperties: false },
);
type ClickBatch = Static<typeof ClickBatch>;

/**
 * Counts redirects in memory and dispatches them as one `links.clicks` job at most once a
 * second (the first click after a quiet second goes at once), so a redirect costs a Map
 * update, not a write. A batch the queue refuses (Redis away for a moment) is kept and sent
 * again a second later, under the same id, so the worker counts it once however often it
 * arrives; up to MAX_UNSENT batches wait, beyond that the oldest are dropped (logged).
 * A web node that dies loses at most its last second of clicks and what was waiting;
 * a graceful stop flushes them.
 */
export class ClickBuffer {
  #pending = new Map<number, number>();
  #size = 0;
  /** Batches made and not yet accepted by the queue, oldest first. */
  #unsent: ClickBatch[] = [];
  #lastFlush = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly queue: Pick<Queue, 'dispatch'>,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  record(linkId: number): void {
    this.#pending.set(linkId, (this.#pending.get(linkId) ?? 0) + 1);
    this.#size += 1;
    const wait = this.#lastFlush + this.intervalMs - Date.now();
    if (this.#size >= MAX_PENDING || wait <= 0) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), wait);
  }

  /** Batches waiting for the queue (refused so far). */
  get unsent(): number {
    return this.#unsent.length;
  }

  /** Dispatches what is pending and what was refused before; resolves once that (and any earlier flush) was tried. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#lastFlush = Date.now();
    if (this.#pending.size > 0) {
      this.#unsent.push({ batch: randomUUID(), day: new Date().toISOString().slice(0, 10), counts: [...this.#pending] });
      this.#pending = new Map();
      this.#size = 0;
    }
    if (this.#unsent.length === 0) return this.#flushing;
    this.#flushing = this.#flushing.then(() => this.#send());
    return this.#flushing;
  }

  async #send(): Promise<void> {
    while (this.#unsent.length > 0) {
      const batch = this.#unsent[0]!;
      try {
        await this.queue.dispatch(CLICKS_JOB, batch, { tries: 5, backoff: { type: 'exponential', delayMs: 1_000 } });
      } catch (error) {
        const dropped = this.#unsent.splice(0, Math.max(0, this.#unsent.length - MAX_UNSENT));
        const lost = dropped.reduce((sum, b) => sum + b.counts.reduce((n, [, clicks]) => n + clicks, 0), 0);
        this.logger.warn(
          { err: error, waiting: this.#unsent.length, ...(lost > 0 ? { lostClicks: lost } : {}) },
          lost > 0 ? 'clicks lost: the queue refused batches for too long' : 'clicks not counted yet: the queue refused the batch; trying again',
        );
        // Unref'd: a process that is stopping does not wait for an outage to end.
        this.#timer ??= setTimeout(() => void this.flush(), this.intervalMs).unref();
        return;
      }
      // Only once accepted: a batch the queue may have taken anyway goes again under the same id.
      this.#unsent.shift();
    }
  }
}

/** The worker side: adds a batch to each link's count, once per batch however often it is delivered. */
export const clickJobs: JobFactory = (services) => ({
  [CLICKS_JOB]: async (payload) => {
    const connection = services.databases.get<LinksDatabase>('links');
    if (!Value.Check(ClickBatch, payload)) throw new Error(`links.clicks: malformed batch (${[...Value.Errors(ClickBatch, payload)][0]?.message ?? 'invalid'})`);
    const { batch, day, counts } = payload;
    try {
      await connection.db.transaction().execute(async (trx) => {
        const createdAt = Date.now();
        await trx
          .insertInto('link_click_ledger')
          .values(counts.map(([linkId, clicks]) => ({ batch_id: batch, link_id: linkId, day, clicks, created_at: createdAt })))
          .execute();
        for (const [linkId, clicks] of counts) {
          await trx.updateTable('links').set({ clicks: sql<number>`clicks + ${clicks}` }).where('id', '=', linkId).execute();
        }
      });
    } catch (error) {
      // The ledger already has this batch: an earlier delivery counted it.
      if (!isUniqueViolation(error)) throw error;
      return;
    }
    // Open link lists refresh their counts (apps/links/pages.ts); a count is saved even when this fails.
    await services.broadcast
      .publish({ channel: CLICKS_CHANNEL, event: 'clicks.counted', data: JSON.stringify({ counts }), sentAt: Date.now() })
      .catch((error: unknown) => services.logger.warn({ err: error }, 'links: click counts not broadcast'));
  },
});

/**
 * The scheduler's rollup: folds ledger rows older than the redelivery window into per-day
 * totals (`link_clicks_daily`) and deletes them, keeping the ledger small.
 */
export async function rollUpClicks(connection: DatabaseConnection<LinksDatabase>, now = Date.now()): Promise<number> {
  const before = now - LEDGER_KEEP_MS;
  return connection.db.transaction().execute(async (trx) => {
    const sums = await trx
      .selectFrom('link_click_ledger')
      .select(['link_id', 'day', (eb) => eb.fn.sum<number>('clicks').as('clicks')])
      .where('created_at', '<', before)
      .groupBy(['link_id', 'day'])
      .execute();
    for (const row of sums) {
      const clicks = Number(row.clicks);
      const updated = await trx
        .updateTable('link_clicks_daily')
        .set({ clicks: sql<number>`clicks + ${clicks}` })
        .where('link_id', '=', row.link_id)
        .where('day', '=', row.day)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await trx.insertInto('link_clicks_daily').values({ link_id: row.link_id, day: row.day, clicks }).execute();
    }
    await trx.deleteFrom('link_click_ledger').where('created_at', '<', before).execute();
    return sums.length;
  });
}

/** Clicks per day for one link, newest first: rolled-up days plus the ledger not yet rolled up. */
export async function clicksByDay(connection: DatabaseConnection<LinksDatabase>, linkId: number, days: number): Promise<{ day: string; clicks: number }[]> {
  const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const [daily, recent] = await Promise.all([
    connection.db.selectFrom('link_clicks_daily').select(['day', 'clicks']).where('link_id', '=', linkId).where('day', '>=', since).execute(),
    connection.db
      .selectFrom('link_click_ledger')
      .select(['day', (eb) => eb.fn.sum<number>('clicks').as('clicks')])
      .where('link_id', '=', linkId)
      .where('day', '>=', since)
      .groupBy('day')
      .execute(),
  ]);
  const byDay = new Map<string, number>();
  for (const row of [...daily, ...recent]) byDay.set(row.day, (byDay.get(row.day) ?? 0) + Number(row.clicks));
  return [...byDay].sort(([a], [b]) => b.localeCompare(a)).map(([day, clicks]) => ({ day, clicks }));
}

/** `links:clicks-rollup`, every ten minutes on one scheduler. */
export const clicksRollupTask: ScheduledTask = {
  name: 'links:clicks-rollup',
  description: 'fold the click ledger into per-day totals',
  cron: '*/10 * * * *',
  async run(services) {
    await rollUpClicks(services.databases.get<LinksDatabase>('links'));
  },
};
