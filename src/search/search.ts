import { searchQueryDuration } from '../observability/metrics.ts';
import type { Queue } from '../queue/queue.ts';
import type { IndexDefinition, SearchEngine, SearchQuery, SearchResult } from './contract.ts';

/** The queue job that brings records' documents up to date (src/search/indexing.ts). */
export const SEARCH_INDEX_JOB = 'search.index';
/** Records one job carries at most; a bigger change is split. */
export const INDEX_JOB_BATCH = 500;

export interface ChangedRecord {
  readonly id: string;
  /** The record's change time in ms (updated_at; for a delete, when it was deleted). */
  readonly version: number;
}

/**
 * What apps and commands use (Services.search): queries, timed for the latency histogram, and
 * change notices, which become queue jobs so that the write path never waits on the engine.
 */
export class Search {
  constructor(
    readonly engine: SearchEngine,
    private readonly queue: Queue,
    readonly queueName = 'default',
  ) {}

  get driver(): string {
    return this.engine.driver;
  }

  async query(definition: IndexDefinition, query: SearchQuery): Promise<SearchResult> {
    const stop = searchQueryDuration.startTimer({ index: definition.name, driver: this.engine.driver });
    try {
      return await this.engine.search(definition, query);
    } finally {
      stop();
    }
  }

  /** Queues index jobs for changed (created, updated or deleted) records, in batches. */
  async changed(definition: IndexDefinition, records: readonly ChangedRecord[]): Promise<void> {
    const at = Date.now();
    const jobs = [];
    for (let i = 0; i < records.length; i += INDEX_JOB_BATCH) {
      const batch = records.slice(i, i + INDEX_JOB_BATCH).map((r) => [r.id, r.version] as [string, number]);
      jobs.push({ name: SEARCH_INDEX_JOB, payload: { index: definition.name, records: batch, at }, options: { queue: this.queueName, tries: 5, backoff: { type: 'exponential' as const, delayMs: 1_000 } } });
    }
    if (jobs.length > 0) await this.queue.dispatchMany(jobs);
  }
}
