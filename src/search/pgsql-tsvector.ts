import type { DatabaseConnection } from '../database/contract.ts';
import type { IndexDefinition, SearchDocument } from './contract.ts';
import { searchableFields } from './definition.ts';
import { kyselyRunner } from './kysely-runner.ts';
import { words, type SearchTerm } from './query-text.ts';
import { SqlSearchEngine, type TextMatch } from './sql-engine.ts';

const WEIGHTS = ['A', 'B', 'C', 'D'] as const;

/**
 * PostgreSQL tsvector + GIN. The text is split and folded here (query-text.ts `words`), then
 * given to the `simple` configuration: no stemming and no unaccent extension needed, and the
 * same words as FTS5 sees (PostgreSQL's own parser would keep `example.com` as one token).
 * The first searchable fields weigh more (A, B, C, D) in ts_rank.
 */
export class PgsqlTsvectorEngine extends SqlSearchEngine {
  readonly driver = 'pgsql';

  constructor(connection: DatabaseConnection<unknown>) {
    super(kyselyRunner(connection));
  }

  protected extraColumns(): string[] {
    return ['search_text tsvector NULL'];
  }

  protected extraValues(definition: IndexDefinition, doc: SearchDocument | undefined): { column: string; sql: string; params: unknown[] }[] {
    if (!doc) return [{ column: 'search_text', sql: 'NULL', params: [] }];
    const fields = searchableFields(definition);
    const sql = fields.map((_, i) => `setweight(to_tsvector('simple', ?), '${WEIGHTS[Math.min(i, 3)]}')`).join(' || ');
    const params = fields.map((f) => {
      const value = doc.fields[f.name];
      return typeof value === 'string' ? words(value).join(' ') : '';
    });
    return [{ column: 'search_text', sql, params }];
  }

  protected async createTextIndex(_definition: IndexDefinition, physical: string): Promise<void> {
    await this.runner.execute(`CREATE INDEX ${this.q(`${physical}_tsv`)} ON ${this.docs(physical)} USING GIN (search_text)`);
  }

  protected async dropTextIndex(): Promise<void> {}

  /**
   * Statistics for the planner: right after a reindex's bulk load it has none, and then picks a
   * bitmap scan of every match even for a word in most documents; with them, such a word's rank
   * window is read newest first from the primary key and stops at RANK_WINDOW (138 ms → 7 ms).
   */
  override async refresh(target: string): Promise<void> {
    await this.runner.execute(`ANALYZE ${this.docs(await this.target(target))}`);
  }

  protected async textMatch(_definition: IndexDefinition, physical: string, terms: readonly SearchTerm[]): Promise<TextMatch> {
    // Terms hold letters and digits only (query-text.ts): no tsquery operator can reach the server.
    const query = terms.map((t) => (t.phrase ? `(${t.words.join(' <-> ')})` : `${t.words[0]}${t.prefix ? ':*' : ''}`)).join(' & ');
    return {
      from: `${this.docs(physical)} d`,
      where: ["d.search_text @@ to_tsquery('simple', ?)"],
      params: [query],
      key: 'd.seq',
      score: { sql: "ts_rank(d.search_text, to_tsquery('simple', ?))", params: [query], inner: false },
    };
  }
}
