import type { DocumentDeletion, FieldValue, IndexDefinition, SearchDocument, SearchField, SearchFilter, SearchHit, SearchQuery, SearchSort } from './contract.ts';
import { searchableFields } from './definition.ts';
import { highlight } from './highlight.ts';
import type { SearchTerm } from './query-text.ts';

/**
 * The Elasticsearch 8 / OpenSearch 2 request bodies and result mapping, as pure functions (the
 * two speak the same REST API for all of these), so they are unit-tested without a server.
 */

type Json = Record<string, unknown>;

export function esFieldMapping(f: SearchField): Json {
  switch (f.type) {
    case 'text':
      return { type: 'text', analyzer: 'marg_folding' };
    case 'keyword':
      return { type: 'keyword' };
    case 'integer':
      return { type: 'long' };
    case 'date':
      return { type: 'date', format: 'strict_date_optional_time||yyyy-MM-dd' };
  }
}

/** `PUT /<physical>`: folding like FTS5 (lowercase + asciifolding, no stemming), a strict mapping. */
export function indexBody(definition: IndexDefinition): Json {
  return {
    settings: { analysis: { analyzer: { marg_folding: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } } },
    mappings: {
      dynamic: 'strict',
      properties: {
        doc_id: { type: 'keyword' },
        deleted: { type: 'boolean' },
        ...Object.fromEntries(definition.fields.map((f) => [f.name, esFieldMapping(f)])),
      },
    },
  };
}

/**
 * `POST /_bulk` lines. Every write is an index op with the record's version as an external
 * version (`external_gte`: the same version again is accepted, an older one answers 409 and is
 * skipped); a delete writes a tombstone document, which outlives the 60 s ES keeps deletes.
 */
export function bulkBody(definition: IndexDefinition, physical: string, documents: readonly SearchDocument[], deletions: readonly DocumentDeletion[]): Json[] {
  const lines: Json[] = [];
  for (const doc of documents) {
    lines.push({ index: { _index: physical, _id: doc.id, version: doc.version, version_type: 'external_gte' } });
    lines.push({ doc_id: doc.id, deleted: false, ...Object.fromEntries(definition.fields.map((f) => [f.name, doc.fields[f.name] ?? null])) });
  }
  for (const deletion of deletions) {
    lines.push({ index: { _index: physical, _id: deletion.id, version: deletion.version, version_type: 'external_gte' } });
    lines.push({ doc_id: deletion.id, deleted: true });
  }
  return lines;
}

/** The items of a bulk answer that failed for another reason than an older version (409). */
export function bulkFailures(response: { errors?: boolean; items?: Record<string, { status: number; error?: { type?: string; reason?: string } }>[] }): string[] {
  if (!response.errors) return [];
  return (response.items ?? []).flatMap((item) => Object.values(item)).filter((r) => r.status >= 300 && r.status !== 409).map((r) => `${r.status} ${r.error?.type ?? ''}: ${r.error?.reason ?? ''}`);
}

function termQuery(fields: string[], term: SearchTerm): Json {
  const query = term.words.join(' ');
  if (term.phrase) return { multi_match: { query, fields, type: 'phrase' } };
  if (term.prefix) return { multi_match: { query, fields, type: 'phrase_prefix' } };
  return { multi_match: { query, fields } };
}

export function filterQuery(filter: SearchFilter): Json {
  switch (filter.op) {
    case 'eq':
      return { term: { [filter.field]: filter.value } };
    case 'in':
      return { terms: { [filter.field]: [...filter.values] } };
    case 'range':
      return { range: { [filter.field]: { ...(filter.gte !== undefined ? { gte: filter.gte } : {}), ...(filter.lte !== undefined ? { lte: filter.lte } : {}) } } };
    case 'missing':
      return { bool: { must_not: { exists: { field: filter.field } } } };
  }
}

/** `POST /<alias>/_search`: one more hit than asked, to know whether there is a next page. */
export function searchBody(definition: IndexDefinition, terms: readonly SearchTerm[], query: SearchQuery, sort: readonly SearchSort[], offset: number): Json {
  const fields = searchableFields(definition).map((f) => f.name);
  const must = terms.map((t) => termQuery(fields, t));
  const filter = [{ term: { deleted: false } }, ...(query.filters ?? []).map(filterQuery)];
  return {
    from: offset,
    size: query.limit + 1,
    track_total_hits: false,
    query: { bool: { ...(must.length > 0 ? { must } : {}), filter } },
    sort: [
      ...sort.map((s) => ({ [s.field]: { order: s.direction, missing: '_last' } })),
      ...(terms.length > 0 ? [{ _score: { order: 'desc' } }] : []),
      { doc_id: { order: 'asc' } },
    ],
  };
}

interface EsHit {
  _id: string;
  _score?: number | null;
  _source?: Record<string, unknown>;
}

export function mapHits(definition: IndexDefinition, hits: readonly EsHit[], query: SearchQuery, terms: readonly SearchTerm[]): SearchHit[] {
  return hits.slice(0, query.limit).map((hit) => {
    const fields: Record<string, FieldValue> = Object.fromEntries(definition.fields.map((f) => [f.name, readValue(hit._source?.[f.name])]));
    return { id: hit._id, score: hit._score ?? 0, fields, highlights: highlight(definition, query.highlight ?? [], fields, terms) };
  });
}

function readValue(value: unknown): FieldValue {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

/** `POST /_aliases`: move the alias in one atomic step. */
export function aliasActions(alias: string, physical: string, previous: string | undefined): Json {
  return { actions: [...(previous ? [{ remove: { index: previous, alias } }] : []), { add: { index: physical, alias } }] };
}
