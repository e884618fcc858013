import type { Config } from '../config/config.ts';
import type { DatabaseManager } from '../database/manager.ts';
import type { SearchEngine } from './contract.ts';
import type { EsTransport } from './elastic.ts';

/**
 * Picks the search engine named by SEARCH_DRIVER (config.ts has checked its settings); only that
 * engine's module is imported, and an Elasticsearch/OpenSearch client only at its first request.
 */
export async function createSearchEngine(config: Config, databases: DatabaseManager): Promise<SearchEngine> {
  const search = config.search;
  switch (search.driver) {
    case 'sqlite': {
      const [{ SqliteFtsEngine }, { openSqliteFile }] = await Promise.all([import('./sqlite-fts.ts'), import('../database/sqlite-file.ts')]);
      return new SqliteFtsEngine(() => openSqliteFile(search.file));
    }
    case 'mysql': {
      const { MysqlFulltextEngine } = await import('./mysql-fulltext.ts');
      return new MysqlFulltextEngine(databases.get('platform'));
    }
    case 'pgsql': {
      const { PgsqlTsvectorEngine } = await import('./pgsql-tsvector.ts');
      return new PgsqlTsvectorEngine(databases.get('platform'));
    }
    case 'elasticsearch': {
      const { ElasticLikeEngine } = await import('./elastic.ts');
      return new ElasticLikeEngine('elasticsearch', lazyTransport(async () => (await import('./elasticsearch.ts')).elasticsearchTransport(search.url!)), search.prefix);
    }
    case 'opensearch': {
      const { ElasticLikeEngine } = await import('./elastic.ts');
      return new ElasticLikeEngine('opensearch', lazyTransport(async () => (await import('./opensearch.ts')).opensearchTransport(search.url!)), search.prefix);
    }
  }
}

/** The official client loads at the first request, so a node on another driver never loads it (boot time, issue 19). */
function lazyTransport(load: () => Promise<EsTransport>): EsTransport {
  let transport: Promise<EsTransport> | undefined;
  return {
    request: async (...args) => (await (transport ??= load())).request(...args),
    close: async () => {
      if (transport) await (await transport).close();
    },
  };
}
