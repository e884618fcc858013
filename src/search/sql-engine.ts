import { randomBytes } from 'node:crypto';
import type {
  DocumentDeletion,
  FieldValue,
  IndexDefinition,
  SearchDocument,
  SearchEngine,
  SearchField,
  SearchFilter,
  SearchQuery,
  SearchResult,
} from './contract.ts';
import { checkQuery, field, nextCursor } from './definition.ts';
import { highlight } from './highlight.ts';
import { parseSearchText, type SearchTerm } from './query-text.ts';
import type { SqlRunner, SqlStatement } from './sql-runner.ts';

/** Rows written per statement (each row is ~10 parameters; well under every engine's limit). */
const WRITE_BATCH = 500;

/**
 * How many matches a relevance-ordered query ranks: the newest this many (by write order),
 * filters applied first. Ranking (bm25, ts_rank, InnoDB relevance) costs work per matching
 * document, so without a bound a word found in most documents ranks the whole index; with it, a
 * query costs at most this much ranking whatever the words. Paging in relevance order ends here;
 * a query with fewer matches (most) ranks them all, and an explicit sort still sees every match.
 */
export const RANK_WINDOW = 1_000;

/** The text part of a query, as one SQL driver writes it. */
export interface TextMatch {
  readonly from: string;
  readonly where: string[];
  /** The parameters of `from` and `where`, in text order. */
  readonly params: unknown[];
  /** Orders candidates newest first (FTS5: its rowid, so FTS5 walks its doclist backwards and stops at the window). */
  readonly key: string;
  /**
   * Relevance, higher is better. `inner`: computed in the query that matches (FTS5's bm25 needs
   * the MATCH cursor); otherwise over the docs table `d` outside it, so only the window is ranked.
   */
  readonly score: { readonly sql: string; readonly params: unknown[]; readonly inner: boolean };
}

/**
 * The part every SQL driver shares: one table per physical index (`<physical>_docs`, a row per
 * document with its version and a `deleted` tombstone flag), an alias table, versioned batch
 * upserts, filters, sort and paging. A driver adds its text index (FTS5 table, FULLTEXT index,
 * tsvector column) and how a text query matches and ranks.
 */
export abstract class SqlSearchEngine implements SearchEngine {
  abstract readonly driver: string;
  #ready: Promise<void> | undefined;

  constructor(protected readonly runner: SqlRunner) {}

  /** Column definitions of the docs table beyond the fields (pgsql: the tsvector). */
  protected abstract extraColumns(definition: IndexDefinition): string[];
  /** Creates the text index of a new physical index. */
  protected abstract createTextIndex(definition: IndexDefinition, physical: string): Promise<void>;
  /** Extra values written with each row (pgsql: the tsvector), as `[column, placeholder SQL, params]`. */
  protected abstract extraValues(definition: IndexDefinition, doc: SearchDocument | undefined): { column: string; sql: string; params: unknown[] }[];
  /** FROM/WHERE/score for a text query over the docs table aliased `d`; params in text order (score, from, where). */
  protected abstract textMatch(definition: IndexDefinition, physical: string, terms: readonly SearchTerm[]): Promise<TextMatch>;
  protected abstract dropTextIndex(physical: string): Promise<void>;

  protected q(name: string): string {
    return this.runner.dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
  }

  protected docs(physical: string): string {
    // Names reach SQL as identifiers: only what createIndex makes (or an alias name) is accepted.
    if (!/^[a-z][a-z0-9_]{0,39}(__[a-z0-9]{1,16})?$/.test(physical)) throw new Error(`not a search index name: ${JSON.stringify(physical)}`);
    return this.q(`${physical}_docs`);
  }

  protected columnType(f: SearchField): string {
    const mysql = this.runner.dialect === 'mysql';
    switch (f.type) {
      case 'text':
        return mysql ? 'MEDIUMTEXT' : 'TEXT';
      case 'integer':
        return this.runner.dialect === 'sqlite' ? 'INTEGER' : 'BIGINT';
      case 'keyword':
        return mysql ? 'VARCHAR(255) COLLATE utf8mb4_bin' : 'TEXT';
      case 'date':
        return mysql ? 'VARCHAR(40) COLLATE utf8mb4_bin' : 'TEXT';
    }
  }

  /** The alias and index registry, created once per process. */
  protected ready(): Promise<void> {
    this.#ready ??= (async () => {
      const key = this.runner.dialect === 'mysql' ? 'VARCHAR(64) COLLATE utf8mb4_bin' : 'TEXT';
      await this.runner.execute(`CREATE TABLE IF NOT EXISTS search_aliases (alias ${key} PRIMARY KEY, physical ${key} NOT NULL)`);
      await this.runner.execute(`CREATE TABLE IF NOT EXISTS search_physical (physical ${key} PRIMARY KEY, alias ${key} NOT NULL, created_at ${key} NOT NULL)`);
    })();
    this.#ready.catch(() => (this.#ready = undefined));
    return this.#ready;
  }

  async createIndex(definition: IndexDefinition): Promise<string> {
    await this.ready();
    const physical = `${definition.name}__${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
    await this.runner.execute('INSERT INTO search_physical (physical, alias, created_at) VALUES (?, ?, ?)', [physical, definition.name, new Date().toISOString()]);
    const columns = [
      this.runner.dialect === 'sqlite' ? 'seq INTEGER PRIMARY KEY' : this.runner.dialect === 'mysql' ? 'seq BIGINT AUTO_INCREMENT PRIMARY KEY' : 'seq BIGSERIAL PRIMARY KEY',
      `id ${this.runner.dialect === 'mysql' ? 'VARCHAR(191) COLLATE utf8mb4_bin' : 'TEXT'} NOT NULL UNIQUE`,
      'version BIGINT NOT NULL',
      'deleted SMALLINT NOT NULL DEFAULT 0',
      ...definition.fields.map((f) => `${this.q(f.name)} ${this.columnType(f)} NULL`),
      ...this.extraColumns(definition),
    ];
    const options = this.runner.dialect === 'mysql' ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : '';
    await this.runner.execute(`CREATE TABLE ${this.docs(physical)} (${columns.join(', ')})${options}`);
    for (const f of definition.fields.filter((x) => x.filterable || x.sortable)) {
      await this.runner.execute(`CREATE INDEX ${this.q(`${physical}_${f.name}`)} ON ${this.docs(physical)} (${this.q(f.name)})`);
    }
    await this.createTextIndex(definition, physical);
    return physical;
  }

  async swapAlias(alias: string, physical: string): Promise<string | undefined> {
    await this.ready();
    return this.runner.transaction(async (tx) => {
      const lock = tx.dialect === 'sqlite' ? '' : ' FOR UPDATE';
      const [row] = await tx.query<{ physical: string }>(`SELECT physical FROM search_aliases WHERE alias = ?${lock}`, [alias]);
      if (row) await tx.execute('UPDATE search_aliases SET physical = ? WHERE alias = ?', [physical, alias]);
      else await tx.execute('INSERT INTO search_aliases (alias, physical) VALUES (?, ?)', [alias, physical]);
      return row?.physical;
    });
  }

  async resolveAlias(alias: string): Promise<string | undefined> {
    await this.ready();
    const [row] = await this.runner.query<{ physical: string }>('SELECT physical FROM search_aliases WHERE alias = ?', [alias]);
    return row?.physical;
  }

  async physicalIndexes(alias: string): Promise<string[]> {
    await this.ready();
    const rows = await this.runner.query<{ physical: string }>('SELECT physical FROM search_physical WHERE alias = ? ORDER BY created_at, physical', [alias]);
    return rows.map((r) => r.physical);
  }

  async dropIndex(physical: string): Promise<void> {
    await this.ready();
    await this.dropTextIndex(physical);
    await this.runner.execute(`DROP TABLE IF EXISTS ${this.docs(physical)}`);
    await this.runner.execute('DELETE FROM search_physical WHERE physical = ?', [physical]);
  }

  async ensureIndex(definition: IndexDefinition): Promise<void> {
    if (await this.resolveAlias(definition.name)) return;
    const physical = await this.createIndex(definition);
    const before = await this.swapAlias(definition.name, physical);
    // Two processes raced to create it: keep the one the alias pointed at first.
    if (before !== undefined) {
      await this.swapAlias(definition.name, before);
      await this.dropIndex(physical);
    }
  }

  /** An alias resolves to its physical index; a name that is no alias is taken as a physical one. */
  protected async target(name: string): Promise<string> {
    return (await this.resolveAlias(name)) ?? name;
  }

  async upsert(definition: IndexDefinition, target: string, documents: readonly SearchDocument[]): Promise<void> {
    const physical = await this.target(target);
    const statements: SqlStatement[] = [];
    for (let i = 0; i < documents.length; i += WRITE_BATCH) {
      statements.push(...this.#write(definition, physical, documents.slice(i, i + WRITE_BATCH).map((d) => ({ id: d.id, version: d.version, deleted: 0, doc: d }))));
    }
    if (statements.length > 0) await this.runner.batch(statements);
  }

  async delete(definition: IndexDefinition, target: string, deletions: readonly DocumentDeletion[]): Promise<void> {
    const physical = await this.target(target);
    const statements: SqlStatement[] = [];
    for (let i = 0; i < deletions.length; i += WRITE_BATCH) {
      statements.push(...this.#write(definition, physical, deletions.slice(i, i + WRITE_BATCH).map((d) => ({ id: d.id, version: d.version, deleted: 1, doc: undefined }))));
    }
    if (statements.length > 0) await this.runner.batch(statements);
  }

  /** One multi-row upsert (none for an empty batch); a row whose stored version is higher stays as it is. */
  #write(definition: IndexDefinition, physical: string, rows: { id: string; version: number; deleted: number; doc: SearchDocument | undefined }[]): SqlStatement[] {
    // The last write of an id in one batch wins, as if they had come one by one (a statement cannot touch a row twice on PostgreSQL).
    const byId = new Map<string, (typeof rows)[number]>();
    for (const row of rows) {
      const seen = byId.get(row.id);
      if (!seen || seen.version <= row.version) byId.set(row.id, row);
    }
    const unique = [...byId.values()];
    if (unique.length === 0) return [];
    const fieldNames = definition.fields.map((f) => f.name);
    const extraNames = this.extraValues(definition, undefined).map((e) => e.column);
    const columns = ['id', 'version', 'deleted', ...fieldNames, ...extraNames];
    const params: unknown[] = [];
    const tuples = unique.map((row) => {
      const values = [row.id, row.version, row.deleted, ...definition.fields.map((f) => storedValue(f, row.doc?.fields[f.name]))];
      params.push(...values);
      const extras = this.extraValues(definition, row.doc);
      for (const e of extras) params.push(...e.params);
      return `(${[...values.map(() => '?'), ...extras.map((e) => e.sql)].join(', ')})`;
    });
    const set = [...fieldNames, ...extraNames, 'deleted'];
    const into = `INSERT INTO ${this.docs(physical)} (${columns.map((c) => this.q(c)).join(', ')}) VALUES ${tuples.join(', ')}`;
    let text: string;
    if (this.runner.dialect === 'mysql') {
      // Assignments run left to right: version is compared before it is overwritten, last.
      const guard = 'VALUES(version) >= version';
      text = `${into} ON DUPLICATE KEY UPDATE ${[...set, 'version'].map((c) => `${this.q(c)} = IF(${guard}, VALUES(${this.q(c)}), ${this.q(c)})`).join(', ')}`;
    } else {
      const table = this.docs(physical);
      text = `${into} ON CONFLICT (id) DO UPDATE SET ${[...set, 'version'].map((c) => `${this.q(c)} = excluded.${this.q(c)}`).join(', ')} WHERE ${table}.version <= excluded.version`;
    }
    return [{ text, params }];
  }

  async ids(_definition: IndexDefinition, target: string, after: string | undefined, limit: number): Promise<string[]> {
    const physical = await this.target(target);
    const rows = await this.runner.query<{ id: string }>(
      `SELECT id FROM ${this.docs(physical)} WHERE deleted = 0${after === undefined ? '' : ' AND id > ?'} ORDER BY id LIMIT ${Math.max(1, Math.floor(limit))}`,
      after === undefined ? [] : [after],
    );
    return rows.map((r) => String(r.id));
  }

  async versions(_definition: IndexDefinition, target: string, ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (ids.length === 0) return out;
    const physical = await this.target(target);
    for (let i = 0; i < ids.length; i += WRITE_BATCH) {
      const chunk = ids.slice(i, i + WRITE_BATCH);
      const rows = await this.runner.query<{ id: string; version: number | string }>(
        `SELECT id, version FROM ${this.docs(physical)} WHERE deleted = 0 AND id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      for (const r of rows) out.set(String(r.id), Number(r.version));
    }
    return out;
  }

  async search(definition: IndexDefinition, query: SearchQuery): Promise<SearchResult> {
    const checked = checkQuery(definition, query);
    const physical = await this.resolveAlias(definition.name);
    if (!physical) return { hits: [], next: null };
    try {
      return await this.#searchIn(definition, physical, query, checked);
    } catch (error) {
      // A reindex in another process may have swapped the alias and dropped this table between the two statements: read the new one.
      const now = await this.resolveAlias(definition.name);
      if (now === undefined || now === physical) throw error;
      return this.#searchIn(definition, now, query, checked);
    }
  }

  async #searchIn(definition: IndexDefinition, physical: string, query: SearchQuery, { offset, sort }: ReturnType<typeof checkQuery>): Promise<SearchResult> {
    const terms = parseSearchText(query.text);
    const match = terms.length > 0 ? await this.textMatch(definition, physical, terms) : undefined;
    const where = ['d.deleted = 0', ...(match?.where ?? [])];
    const filterParams: unknown[] = [];
    for (const filter of query.filters ?? []) where.push(this.#filter(definition, filter, filterParams));
    const columns = definition.fields.map((f) => `d.${this.q(f.name)}`).join(', ');
    const page = `LIMIT ${query.limit + 1} OFFSET ${offset}`;
    let text: string;
    let params: unknown[];
    if (match && sort.length === 0) {
      // Relevance order: rank only the newest RANK_WINDOW matches (see RANK_WINDOW).
      const { score } = match;
      const inner = `SELECT ${match.key} AS seq${score.inner ? `, ${score.sql} AS score` : ''} FROM ${match.from} WHERE ${where.join(' AND ')} ORDER BY ${match.key} DESC LIMIT ${RANK_WINDOW}`;
      text = `SELECT d.id, ${columns}, ${score.inner ? 'c.score' : score.sql} AS score FROM (${inner}) c JOIN ${this.docs(physical)} d ON d.seq = c.seq ORDER BY score DESC, d.id ASC ${page}`;
      // The score comes first in the text either way: in the inner SELECT, or in the outer one before the subquery.
      params = [...score.params, ...match.params, ...filterParams];
    } else {
      const order = sort.flatMap((s) => [`(d.${this.q(s.field)} IS NULL)`, `d.${this.q(s.field)} ${s.direction === 'desc' ? 'DESC' : 'ASC'}`]);
      if (match) order.push('score DESC');
      order.push('d.id ASC');
      text = `SELECT d.id, ${columns}, ${match?.score.sql ?? '0'} AS score FROM ${match?.from ?? `${this.docs(physical)} d`} WHERE ${where.join(' AND ')} ORDER BY ${order.join(', ')} ${page}`;
      params = [...(match?.score.params ?? []), ...(match?.params ?? []), ...filterParams];
    }
    const rows = await this.runner.query<Record<string, unknown>>(text, params);
    // Highlights for the returned page only (the extra row only says whether there is a next page).
    const hits = rows.slice(0, query.limit).map((row) => {
      const fields = Object.fromEntries(definition.fields.map((f) => [f.name, readValue(f, row[f.name])]));
      return { id: String(row.id), score: Number(row.score) || 0, fields, highlights: highlight(definition, query.highlight ?? [], fields, terms) };
    });
    return { hits, next: nextCursor(offset, query.limit, rows.length) };
  }

  #filter(definition: IndexDefinition, filter: SearchFilter, params: unknown[]): string {
    const column = `d.${this.q(filter.field)}`;
    const f = field(definition, filter.field)!;
    switch (filter.op) {
      case 'eq':
        params.push(storedValue(f, filter.value));
        return `${column} = ?`;
      case 'in':
        params.push(...filter.values.map((v) => storedValue(f, v)));
        return `${column} IN (${filter.values.map(() => '?').join(', ')})`;
      case 'range': {
        const parts: string[] = [];
        if (filter.gte !== undefined) {
          params.push(storedValue(f, filter.gte));
          parts.push(`${column} >= ?`);
        }
        if (filter.lte !== undefined) {
          params.push(storedValue(f, filter.lte));
          parts.push(`${column} <= ?`);
        }
        return parts.length > 0 ? `(${parts.join(' AND ')})` : `${column} IS NOT NULL`;
      }
      case 'missing':
        return `${column} IS NULL`;
    }
  }

  async count(definition: IndexDefinition, target?: string): Promise<number> {
    const physical = target === undefined ? await this.resolveAlias(definition.name) : await this.target(target);
    if (!physical) return 0;
    const [row] = await this.runner.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${this.docs(physical)} WHERE deleted = 0`);
    return Number(row?.n ?? 0);
  }

  async refresh(_target: string): Promise<void> {}

  async ping(): Promise<void> {
    await this.runner.query('SELECT 1 AS one');
  }

  close(): Promise<void> {
    return this.runner.close();
  }
}

/** A value as a column stores it: integers as numbers, dates and keywords as text. */
function storedValue(f: SearchField, value: FieldValue | undefined): FieldValue {
  if (value === undefined || value === null) return null;
  if (f.type === 'integer') return typeof value === 'number' ? value : Number(value);
  return String(value);
}

function readValue(f: SearchField, value: unknown): FieldValue {
  if (value === null || value === undefined) return null;
  if (f.type === 'integer') return Number(value);
  return String(value);
}
