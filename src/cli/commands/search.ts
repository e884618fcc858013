import type { Command } from 'commander';
import { progress } from '../progress.ts';
import { run, UsageError, type CliContext } from '../context.ts';

/** `search:reindex`, `search:sync`, `search:status`: the search indexes the apps declare. */
export function registerSearchCommands(program: Command, cli: CliContext): void {
  program
    .command('search:reindex')
    .description('rebuild search indexes into new ones and swap their aliases (no downtime); progress and rate on stderr')
    .option('--index <name>', 'only this index (see search:status)')
    .action((flags: { index?: string }) =>
      run(() =>
        cli.withServices(async (services) => {
          const [{ searchSources }, { reindex }] = await Promise.all([import('../../platform/search-indexes.ts'), import('../../search/indexing.ts')]);
          const sources = selected(searchSources(cli.apps, services), flags.index);
          for (const source of sources) {
            const bar = progress(source.definition.name);
            let last = { done: 0, total: 0 };
            const report = await reindex(services.search.engine, source, (p) => {
              last = p;
              bar.update(p.done, p.total);
            });
            bar.finish(last.done, last.total);
            const rate = report.seconds > 0 ? Math.round(last.done / report.seconds) : last.done;
            process.stdout.write(`${report.index}: ${report.documents} documents in ${report.physical} (${report.seconds.toFixed(1)} s, ${rate} documents/s)\n`);
          }
        }),
      ),
    );

  program
    .command('search:sync')
    .description('repair drift between search indexes and their records now (the scheduler runs it at 00:00)')
    .option('--index <name>', 'only this index')
    .action((flags: { index?: string }) =>
      run(() =>
        cli.withServices(async (services) => {
          const [{ searchSources }, { syncIndex }] = await Promise.all([import('../../platform/search-indexes.ts'), import('../../search/indexing.ts')]);
          for (const source of selected(searchSources(cli.apps, services), flags.index)) {
            const report = await syncIndex(services.search.engine, source);
            process.stdout.write(`${report.index}: ${report.written} written, ${report.deleted} deleted\n`);
          }
        }),
      ),
    );

  program
    .command('search:status')
    .description('per search index: its physical index, documents, records, and the lag of the last index job')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) =>
      run(() =>
        cli.withServices(async (services) => {
          const { lagKey, searchSources } = await import('../../platform/search-indexes.ts');
          const engine = services.search.engine;
          const rows = [];
          for (const source of searchSources(cli.apps, services).values()) {
            const lag = (await services.cache.get(lagKey(source.definition.name))) as { lagMs: number; at: string } | undefined;
            rows.push({
              index: source.definition.name,
              physical: (await engine.resolveAlias(source.definition.name)) ?? null,
              documents: await engine.count(source.definition),
              records: await source.count(),
              lastJobLagMs: lag?.lagMs ?? null,
              lastJobAt: lag?.at ?? null,
            });
          }
          if (flags.json) return void process.stdout.write(`${JSON.stringify({ driver: engine.driver, indexes: rows }, null, 2)}\n`);
          process.stdout.write(`driver: ${engine.driver}\n`);
          if (rows.length === 0) return void process.stdout.write('no app declares a search index\n');
          for (const r of rows) {
            const lag = r.lastJobLagMs === null ? 'no index job yet' : `last index job ${r.lastJobLagMs} ms after its change (${r.lastJobAt})`;
            process.stdout.write(`${r.index}: ${r.documents} documents, ${r.records} records${r.physical ? ` (${r.physical})` : ' (not created yet)'}; ${lag}\n`);
          }
        }),
      ),
    );
}

function selected<T>(sources: Map<string, T>, name: string | undefined): T[] {
  if (name === undefined) return [...sources.values()];
  const source = sources.get(name);
  if (!source) throw new UsageError(`no search index "${name}" (the indexes are: ${[...sources.keys()].join(', ') || 'none'})`);
  return [source];
}
