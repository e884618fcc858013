import type { DatabaseConnection } from '../database/contract.ts';
import type { IndexDefinition } from './contract.ts';
import { searchableFields } from './definition.ts';
import { kyselyRunner } from './kysely-runner.ts';
import type { SearchTerm } from './query-text.ts';
import { SqlSearchEngine, type TextMatch } from './sql-engine.ts';

/**
 * MySQL/MariaDB InnoDB FULLTEXT (boolean mode) for teams with a database server but no search
 * server. The table's utf8mb4_unicode_ci collation folds case and accents. Stopwords are
 * turned off for the session that creates the index, so "the" or "about" can be found; words
 * shorter than innodb_ft_min_token_size (3 by default, server-wide) are never in the index, so
 * such a word is matched with LIKE on the searchable columns instead.
 */
export class MysqlFulltextEngine extends SqlSearchEngine {
  readonly driver = 'mysql';
  #minToken: Promise<number> | undefined;

  constructor(connection: DatabaseConnection<unknown>) {
    super(kyselyRunner(connection));
  }

  protected extraColumns(): string[] {
    return [];
  }

  protected extraValues(): { column: string; sql: string; params: unknown[] }[] {
    return [];
  }

  protected async createTextIndex(definition: IndexDefinition, physical: string): Promise<void> {
    const columns = searchableFields(definition).map((f) => this.q(f.name)).join(', ');
    await this.runner.session(async (one) => {
      await one.execute('SET SESSION innodb_ft_enable_stopword = 0');
      try {
        await one.execute(`CREATE FULLTEXT INDEX ${this.q(`${physical}_ft`)} ON ${this.docs(physical)} (${columns})`);
      } finally {
        await one.execute('SET SESSION innodb_ft_enable_stopword = 1');
      }
    });
  }

  protected async dropTextIndex(): Promise<void> {}

  #minTokenSize(): Promise<number> {
    this.#minToken ??= this.runner
      .query<{ n: number | string }>('SELECT @@innodb_ft_min_token_size AS n')
      .then(([row]) => Number(row?.n ?? 3))
      .catch(() => 3);
    return this.#minToken;
  }

  protected async textMatch(definition: IndexDefinition, physical: string, terms: readonly SearchTerm[]): Promise<TextMatch> {
    const min = await this.#minTokenSize();
    const columns = searchableFields(definition).map((f) => `d.${this.q(f.name)}`);
    const indexed = terms.filter((t) => t.words.every((w) => [...w].length >= min));
    const short = terms.filter((t) => !indexed.includes(t));
    // Terms hold letters and digits only (query-text.ts): no boolean operator can reach the server.
    const expression = indexed.map((t) => (t.phrase ? `+"${t.words.join(' ')}"` : `+${t.words[0]}${t.prefix ? '*' : ''}`)).join(' ');
    const where: string[] = [];
    const params: unknown[] = [];
    let score: TextMatch['score'] = { sql: '0', params: [], inner: false };
    if (expression !== '') {
      const match = `MATCH(${columns.join(', ')}) AGAINST (? IN BOOLEAN MODE)`;
      // Inside the window's query: InnoDB has ranked every match during its search anyway, and MATCH in another query block searches again.
      score = { sql: match, params: [expression], inner: true };
      where.push(match);
      params.push(expression);
    }
    for (const term of short) {
      where.push(`(${columns.map((c) => `${c} LIKE ?`).join(' OR ')})`);
      params.push(...columns.map(() => `%${term.words.join(' ')}%`));
    }
    return { from: `${this.docs(physical)} d`, where, params, key: 'd.seq', score };
  }
}
