import { randomBytes } from 'node:crypto';
import type { DocumentDeletion, IndexDefinition, SearchDocument, SearchEngine, SearchQuery, SearchResult } from './contract.ts';
import { checkQuery, nextCursor } from './definition.ts';
import { aliasActions, bulkBody, bulkFailures, indexBody, mapHits, searchBody } from './elastic-requests.ts';
import { parseSearchText } from './query-text.ts';

/** The one call both official clients share: `client.transport.request` with the status kept. */
export interface EsTransport {
  request(method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD', path: string, body?: unknown, bulk?: boolean): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

/** What both official clients' `transport.request` takes for one call: the path split from its query, a body or NDJSON bulk lines. */
export function clientRequestParams(method: string, path: string, body: unknown, bulk: boolean | undefined) {
  const [pathname, query] = path.split('?');
  return {
    method,
    path: pathname!,
    ...(bulk ? { bulkBody: body as Record<string, unknown>[] } : body === undefined ? {} : { body: body as Record<string, unknown> }),
    ...(query ? { querystring: query } : {}),
  };
}

type Json = Record<string, unknown>;

/**
 * Elasticsearch 8 and OpenSearch 2 (elasticsearch.ts / opensearch.ts give the client). Index
 * names carry SEARCH_PREFIX: alias `<prefix><name>`, physical `<prefix><name>__<suffix>`.
 */
export class ElasticLikeEngine implements SearchEngine {
  constructor(
    readonly driver: 'elasticsearch' | 'opensearch',
    private readonly transport: EsTransport,
    private readonly prefix: string,
  ) {}

  #alias(name: string): string {
    return `${this.prefix}${name}`;
  }

  async #call(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, okStatus: readonly number[] = []): Promise<Json> {
    const response = await this.transport.request(method, path, body, path.endsWith('/_bulk'));
    if (response.status >= 300 && !okStatus.includes(response.status)) {
      const error = (response.body as { error?: { type?: string; reason?: string } } | undefined)?.error;
      throw new Error(`${this.driver}: ${method} ${path} answered ${response.status}${error ? ` (${error.type}: ${error.reason})` : ''}`);
    }
    return (response.body ?? {}) as Json;
  }

  async createIndex(definition: IndexDefinition): Promise<string> {
    const physical = `${this.#alias(definition.name)}__${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    await this.#call('PUT', `/${physical}`, indexBody(definition));
    return physical;
  }

  async resolveAlias(alias: string): Promise<string | undefined> {
    const body = await this.#call('GET', `/_alias/${this.#alias(alias)}`, undefined, [404]);
    return Object.keys(body).find((k) => k !== 'error' && k !== 'status');
  }

  async swapAlias(alias: string, physical: string): Promise<string | undefined> {
    const previous = await this.resolveAlias(alias);
    await this.#call('POST', '/_aliases', aliasActions(this.#alias(alias), physical, previous));
    return previous;
  }

  async physicalIndexes(alias: string): Promise<string[]> {
    const body = await this.#call('GET', `/${this.#alias(alias)}__*?expand_wildcards=open`, undefined, [404]);
    return Object.keys(body).filter((k) => k.startsWith(`${this.#alias(alias)}__`)).sort();
  }

  async dropIndex(physical: string): Promise<void> {
    await this.#call('DELETE', `/${physical}`, undefined, [404]);
  }

  async ensureIndex(definition: IndexDefinition): Promise<void> {
    if (await this.resolveAlias(definition.name)) return;
    const physical = await this.createIndex(definition);
    await this.swapAlias(definition.name, physical);
  }

  #target(target: string): string {
    return target.includes('__') ? target : this.#alias(target);
  }

  async #bulk(definition: IndexDefinition, target: string, documents: readonly SearchDocument[], deletions: readonly DocumentDeletion[]): Promise<void> {
    const physical = target.includes('__') ? target : ((await this.resolveAlias(target)) ?? this.#alias(target));
    for (let i = 0; i < Math.max(documents.length, deletions.length); i += 500) {
      const lines = bulkBody(definition, physical, documents.slice(i, i + 500), deletions.slice(i, i + 500));
      if (lines.length === 0) continue;
      const failures = bulkFailures(await this.#call('POST', '/_bulk', lines));
      if (failures.length > 0) throw new Error(`${this.driver}: bulk write failed: ${failures.slice(0, 3).join('; ')}`);
    }
  }

  upsert(definition: IndexDefinition, target: string, documents: readonly SearchDocument[]): Promise<void> {
    return this.#bulk(definition, target, documents, []);
  }

  delete(definition: IndexDefinition, target: string, deletions: readonly DocumentDeletion[]): Promise<void> {
    return this.#bulk(definition, target, [], deletions);
  }

  async ids(_definition: IndexDefinition, target: string, after: string | undefined, limit: number): Promise<string[]> {
    const body = await this.#call('POST', `/${this.#target(target)}/_search`, {
      size: limit,
      _source: false,
      query: { term: { deleted: false } },
      sort: [{ doc_id: { order: 'asc' } }],
      ...(after === undefined ? {} : { search_after: [after] }),
    });
    return hitsOf(body).map((h) => h._id);
  }

  async versions(_definition: IndexDefinition, target: string, ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const body = await this.#call('POST', `/${this.#target(target)}/_search`, {
      size: ids.length,
      _source: false,
      version: true,
      query: { bool: { filter: [{ term: { deleted: false } }, { terms: { doc_id: [...ids] } }] } },
    });
    return new Map(hitsOf(body).map((h) => [h._id, Number(h._version)]));
  }

  async search(definition: IndexDefinition, query: SearchQuery): Promise<SearchResult> {
    const { offset, sort } = checkQuery(definition, query);
    const terms = parseSearchText(query.text);
    const response = await this.#call('POST', `/${this.#alias(definition.name)}/_search`, searchBody(definition, terms, query, sort, offset), [404]);
    const hits = hitsOf(response);
    return { hits: mapHits(definition, hits, query, terms), next: nextCursor(offset, query.limit, hits.length) };
  }

  async count(definition: IndexDefinition, target?: string): Promise<number> {
    const body = await this.#call('POST', `/${this.#target(target ?? definition.name)}/_count`, { query: { term: { deleted: false } } }, [404]);
    return Number(body.count ?? 0);
  }

  async refresh(target: string): Promise<void> {
    await this.#call('POST', `/${this.#target(target)}/_refresh`, undefined, [404]);
  }

  async ping(): Promise<void> {
    await this.#call('GET', '/');
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

function hitsOf(body: Json): { _id: string; _score?: number | null; _version?: number; _source?: Record<string, unknown> }[] {
  return ((body.hits as { hits?: unknown[] } | undefined)?.hits ?? []) as { _id: string; _score?: number | null; _version?: number; _source?: Record<string, unknown> }[];
}
