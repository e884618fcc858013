import { SearchQueryError, type IndexDefinition, type SearchField, type SearchFilter, type SearchQuery, type SearchSort } from './contract.ts';

const NAME = /^[a-z][a-z0-9_]{0,39}$/;
/** Columns the SQL drivers add to every index table. */
const RESERVED = new Set(['id', 'seq', 'version', 'deleted', 'rowid', 'score', 'doc_id', 'body', 'search_text']);

/** Checks a definition once, when an app declares it: a bad one is a programming error, said plainly. */
export function checkDefinition(definition: IndexDefinition): IndexDefinition {
  if (!NAME.test(definition.name)) throw new Error(`search index "${definition.name}": the name must match ${NAME}`);
  const seen = new Set<string>();
  for (const field of definition.fields) {
    if (!NAME.test(field.name) || RESERVED.has(field.name)) throw new Error(`search index "${definition.name}": field "${field.name}" must match ${NAME} and not be one of ${[...RESERVED].join(', ')}`);
    if (seen.has(field.name)) throw new Error(`search index "${definition.name}": field "${field.name}" is declared twice`);
    seen.add(field.name);
    if (field.searchable && field.type !== 'text') throw new Error(`search index "${definition.name}": only text fields can be searchable ("${field.name}" is ${field.type})`);
    if (field.type === 'text' && (field.filterable || field.sortable)) throw new Error(`search index "${definition.name}": text field "${field.name}" cannot be filterable or sortable; add a keyword field`);
  }
  if (!definition.fields.some((f) => f.searchable)) throw new Error(`search index "${definition.name}": no searchable field`);
  return definition;
}

export function searchableFields(definition: IndexDefinition): SearchField[] {
  return definition.fields.filter((f) => f.searchable);
}

export function field(definition: IndexDefinition, name: string): SearchField | undefined {
  return definition.fields.find((f) => f.name === name);
}

export const MAX_LIMIT = 100;
/** Deepest result a cursor reaches (Elasticsearch's default window is 10,000; relevance paging past this is noise). */
export const MAX_OFFSET = 10_000;

/** Validates a query against the definition: every mistake is a SearchQueryError (400). */
export function checkQuery(definition: IndexDefinition, query: SearchQuery): { offset: number; sort: readonly SearchSort[] } {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_LIMIT) throw new SearchQueryError(`limit must be 1 to ${MAX_LIMIT}`, 'limit');
  for (const filter of query.filters ?? []) checkFilter(definition, filter);
  for (const sort of query.sort ?? []) {
    const f = field(definition, sort.field);
    if (!f?.sortable) throw new SearchQueryError(`cannot sort by "${sort.field}"`, 'sort');
    if (sort.direction !== 'asc' && sort.direction !== 'desc') throw new SearchQueryError('sort direction must be asc or desc', 'sort');
  }
  for (const name of query.highlight ?? []) {
    if (!field(definition, name)?.searchable) throw new SearchQueryError(`cannot highlight "${name}"`, 'highlight');
  }
  return { offset: decodeOffset(query.cursor), sort: query.sort ?? [] };
}

function checkFilter(definition: IndexDefinition, filter: SearchFilter): void {
  const f = field(definition, filter.field);
  if (!f?.filterable) throw new SearchQueryError(`cannot filter by "${filter.field}"`, filter.field);
  const ok = (v: unknown) => (f.type === 'integer' ? typeof v === 'number' && Number.isSafeInteger(v) : typeof v === 'string' && v.length <= 200);
  const bad = () => new SearchQueryError(`"${filter.field}" takes ${f.type === 'integer' ? 'integers' : 'strings'}`, filter.field);
  switch (filter.op) {
    case 'eq':
      if (!ok(filter.value)) throw bad();
      return;
    case 'in':
      if (filter.values.length === 0 || filter.values.length > 100 || !filter.values.every(ok)) throw bad();
      return;
    case 'range':
      if (f.type === 'keyword') throw new SearchQueryError(`"${filter.field}" takes no range`, filter.field);
      if ((filter.gte !== undefined && !ok(filter.gte)) || (filter.lte !== undefined && !ok(filter.lte))) throw bad();
      return;
    case 'missing':
      return;
    default:
      throw new SearchQueryError('unknown filter', (filter as { field: string }).field);
  }
}

/** Cursors are the offset of the next page, opaque to clients (`o<n>` in base64url). */
export function encodeOffset(offset: number): string {
  return Buffer.from(`o${offset}`).toString('base64url');
}

export function decodeOffset(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const text = cursor.length <= 32 ? Buffer.from(cursor, 'base64url').toString() : '';
  const match = /^o(\d{1,6})$/.exec(text);
  const offset = match ? Number(match[1]) : NaN;
  if (!(offset >= 0 && offset <= MAX_OFFSET) || encodeOffset(offset) !== cursor) throw new SearchQueryError('the cursor is not valid', 'cursor');
  return offset;
}

/** The page's `next`: a cursor when the engine returned one more hit than asked for. */
export function nextCursor(offset: number, limit: number, fetched: number): string | null {
  return fetched > limit && offset + limit < MAX_OFFSET ? encodeOffset(offset + limit) : null;
}
