/**
 * The search port (DESIGN §2), shaped like Laravel Scout over Meilisearch: an app declares an
 * index (its fields and what each is for), the worker keeps its documents current through the
 * queue, and routes query it. Every driver (SQLite FTS5, MySQL/MariaDB FULLTEXT, PostgreSQL
 * tsvector, Elasticsearch/OpenSearch) passes test/contract/search.contract.ts.
 */

/** text: full-text searchable words; keyword: exact strings; integer; date: ISO text (`YYYY-MM-DD` or a timestamp). */
export type SearchFieldType = 'text' | 'keyword' | 'integer' | 'date';

export interface SearchField {
  /** `^[a-z][a-z0-9_]{0,39}$`: a column/property name on every engine. */
  readonly name: string;
  readonly type: SearchFieldType;
  /** Words of this field match the text query (text fields only). */
  readonly searchable?: boolean;
  /** May be used in filters (equality, `in`, ranges). */
  readonly filterable?: boolean;
  /** May be used in `sort`. */
  readonly sortable?: boolean;
}

/** What an app declares (Scout's `toSearchableArray` + Meilisearch's index settings). */
export interface IndexDefinition {
  /** The alias every query and write goes through (`flow_tasks`): `^[a-z][a-z0-9_]{0,39}$`. */
  readonly name: string;
  readonly fields: readonly SearchField[];
}

export type FieldValue = string | number | null;

/**
 * One document. `version` orders writes of one record: an upsert or delete whose version is
 * lower than the one stored is ignored, so an older update never overwrites a newer one
 * (Elasticsearch's external versioning). A delete leaves a tombstone with its version.
 */
export interface SearchDocument {
  readonly id: string;
  readonly version: number;
  readonly fields: Readonly<Record<string, FieldValue>>;
}

export interface DocumentDeletion {
  readonly id: string;
  readonly version: number;
}

export type SearchFilter =
  | { readonly field: string; readonly op: 'eq'; readonly value: string | number }
  | { readonly field: string; readonly op: 'in'; readonly values: readonly (string | number)[] }
  | { readonly field: string; readonly op: 'range'; readonly gte?: string | number; readonly lte?: string | number }
  /** The field has no value. */
  | { readonly field: string; readonly op: 'missing' };

export interface SearchSort {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
}

export interface SearchQuery {
  /** User input, read by parseSearchText (words, "quoted phrases", prefix on the last word); empty = every document. */
  readonly text?: string;
  readonly filters?: readonly SearchFilter[];
  /** Default: relevance (for a text query), then id; always ends with id so pages are stable. */
  readonly sort?: readonly SearchSort[];
  /** 1..100. */
  readonly limit: number;
  /** Opaque, from a previous result's `next`. */
  readonly cursor?: string;
  /** Mark the matched words of these (searchable) fields in `highlights`. */
  readonly highlight?: readonly string[];
}

export interface SearchHit {
  readonly id: string;
  readonly score: number;
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Field → HTML-escaped text with `<mark>` around matched words (only fields with a match). */
  readonly highlights: Readonly<Record<string, string>>;
}

export interface SearchResult {
  readonly hits: readonly SearchHit[];
  /** The cursor of the next page, null on the last. */
  readonly next: string | null;
}

export interface IndexStats {
  /** The alias. */
  readonly name: string;
  /** The physical index it points at (undefined when never created). */
  readonly physical: string | undefined;
  readonly documents: number;
}

/** One engine holding many indexes. Names given to operations are aliases unless said otherwise. */
export interface SearchEngine {
  readonly driver: string;
  /**
   * Creates an empty physical index for the definition (with its mapping) and returns its name
   * (`<alias>__<suffix>`); nothing points at it yet.
   */
  createIndex(definition: IndexDefinition): Promise<string>;
  /** Points the alias at `physical` in one step and returns the index it pointed at before. */
  swapAlias(alias: string, physical: string): Promise<string | undefined>;
  /** The physical index the alias points at. */
  resolveAlias(alias: string): Promise<string | undefined>;
  /** Physical indexes of this alias, current or not (left by an interrupted reindex). */
  physicalIndexes(alias: string): Promise<string[]>;
  dropIndex(physical: string): Promise<void>;
  /** Creates the index and points the alias at it, unless the alias exists. */
  ensureIndex(definition: IndexDefinition): Promise<void>;

  /** `target` is an alias or a physical index (a reindex writes into its new one). */
  upsert(definition: IndexDefinition, target: string, documents: readonly SearchDocument[]): Promise<void>;
  delete(definition: IndexDefinition, target: string, deletions: readonly DocumentDeletion[]): Promise<void>;
  /** Live document ids after `after` (in id order), for the consistency sync. */
  ids(definition: IndexDefinition, target: string, after: string | undefined, limit: number): Promise<string[]>;
  /** Stored versions of live documents (absent ids are not in the map). */
  versions(definition: IndexDefinition, target: string, ids: readonly string[]): Promise<Map<string, number>>;

  search(definition: IndexDefinition, query: SearchQuery): Promise<SearchResult>;
  count(definition: IndexDefinition, target?: string): Promise<number>;
  /**
   * Makes every write so far visible to search (Elasticsearch's refresh). SQL engines see writes at
   * once; PostgreSQL updates the planner's statistics here (called after a reindex's bulk load and the sync).
   */
  refresh(target: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A query the caller got wrong (an unknown or non-filterable field, a bad cursor): a 400, never a 5xx. */
export class SearchQueryError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
    this.name = 'SearchQueryError';
  }
}
