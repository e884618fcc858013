import { searchIndexLag } from '../observability/metrics.ts';
import type { ScheduledTask } from '../scheduler/contract.ts';
import { applyIndexJob, syncIndex } from '../search/indexing.ts';
import { SEARCH_INDEX_JOB } from '../search/search.ts';
import type { SearchSource } from '../search/source.ts';
import type { AppModule, JobFactory } from './app-module.ts';
import type { Services } from './services.ts';

/** Every index the apps declare, by name; a name declared twice is a startup error. */
export function searchSources(apps: readonly AppModule[], services: Services): Map<string, SearchSource> {
  const sources = new Map<string, SearchSource>();
  for (const app of apps) {
    for (const source of app.searchIndexes?.(services) ?? []) {
      if (sources.has(source.definition.name)) throw new Error(`search index "${source.definition.name}" is declared twice`);
      sources.set(source.definition.name, source);
    }
  }
  return sources;
}

/** Where the last index job's lag is kept, for `marg search:status` (any process can read it). */
export const lagKey = (index: string) => `search:lag:${index}`;

/** `search.index`: writes changed records' documents (src/search/indexing.ts), records the lag. */
export function searchJobs(apps: readonly AppModule[]): JobFactory {
  return (services) => {
    let sources: Map<string, SearchSource> | undefined;
    return {
      async [SEARCH_INDEX_JOB](payload) {
        sources ??= searchSources(apps, services);
        const { index, lagMs } = await applyIndexJob(services.search.engine, sources, payload);
        searchIndexLag.observe({ index }, lagMs / 1000);
        await services.cache.set(lagKey(index), { lagMs, at: new Date().toISOString() });
      },
    };
  };
}

/** The guides' nightly full sync at 00:00 (UTC): repairs whatever the index jobs missed. */
export function searchSyncTask(apps: readonly AppModule[]): ScheduledTask {
  return {
    name: 'search:sync',
    description: 'compare every search index with its records and repair the drift',
    cron: '0 0 * * *',
    maxRuntimeMs: 3 * 60 * 60 * 1000,
    async run(services, signal) {
      for (const source of searchSources(apps, services).values()) {
        const report = await syncIndex(services.search.engine, source, signal);
        services.logger.info(report, 'search index synced');
      }
    },
  };
}

export function hasSearchIndexes(apps: readonly AppModule[]): boolean {
  return apps.some((a) => a.searchIndexes !== undefined);
}
