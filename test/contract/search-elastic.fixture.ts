import { randomBytes } from 'node:crypto';
import type { IndexDefinition } from '../../src/search/contract.ts';
import { ElasticLikeEngine, type EsTransport } from '../../src/search/elastic.ts';
import { elasticsearchTransport } from '../../src/search/elasticsearch.ts';
import { opensearchTransport } from '../../src/search/opensearch.ts';
import { requireService } from '../support/services.ts';
import type { SearchFactory } from './search.contract.ts';
import { TASKS } from './search.contract.ts';

const VARIABLE = { elasticsearch: 'ELASTICSEARCH_URL', opensearch: 'OPENSEARCH_URL' } as const;

export interface ElasticService {
  readonly factory: SearchFactory;
  readonly skipReason: string | undefined;
}

/**
 * Elasticsearch/OpenSearch run the contract only against a real server named by
 * ELASTICSEARCH_URL / OPENSEARCH_URL. None can be installed on these machines (issue 13), so
 * without the variable the suite is skipped with a plain line, even under
 * MARG_REQUIRE_SERVICES=1; with it, an unreachable server fails in CI like any other.
 */
export async function elasticService(kind: 'elasticsearch' | 'opensearch'): Promise<ElasticService> {
  const variable = VARIABLE[kind];
  const url = process.env[variable];
  const transport = (u: string): EsTransport => (kind === 'elasticsearch' ? elasticsearchTransport(u) : opensearchTransport(u));
  if (!url) {
    const skipReason = `${kind} search contract — ${variable} is not set: no ${kind} server can run on these machines; set ${variable}=http://host:9200 to run it against one`;
    process.stderr.write(`SKIPPED: ${skipReason}\n`);
    return { factory: () => Promise.reject(new Error('skipped')), skipReason };
  }
  const status = await requireService(kind, async () => {
    const probe = new ElasticLikeEngine(kind, transport(url), 'marg_probe_');
    try {
      await probe.ping();
    } finally {
      await probe.close();
    }
  }, { target: variable, timeoutMs: 5_000 });
  return {
    skipReason: status.skipReason,
    factory: async () => {
      const engine = new ElasticLikeEngine(kind, transport(url), `marg_t${process.pid}_${randomBytes(3).toString('hex')}_`);
      return {
        engine,
        async close() {
          const definitions: IndexDefinition[] = [TASKS];
          for (const definition of definitions) for (const physical of await engine.physicalIndexes(definition.name)) await engine.dropIndex(physical);
          await engine.close();
        },
      };
    },
  };
}
