import type SQLite from 'better-sqlite3';
import type { IndexDefinition } from './contract.ts';
import { searchableFields } from './definition.ts';
import type { SearchTerm } from './query-text.ts';
import { SqlSearchEngine, type TextMatch } from './sql-engine.ts';
import type { SqlRunner } from './sql-runner.ts';

/**
 * The embedded default: SQLite FTS5 in its own file (storage/search/search.sqlite). The docs
 * table is the FTS5 table's external content, kept in step by triggers (FTS5's documented
 * pattern); `unicode61 remove_diacritics 2` folds case and accents, `prefix='2 3'` keeps
 * prefix queries on short stems fast, and results rank by bm25.
 */
export class SqliteFtsEngine extends SqlSearchEngine {
  readonly driver = 'sqlite';

  /** `open` runs on first use, so a process that never searches never creates the file. */
  constructor(open: () => SQLite.Database) {
    super(sqliteRunner(open));
  }

  protected extraColumns(): string[] {
    return [];
  }

  protected extraValues(): { column: string; sql: string; params: unknown[] }[] {
    return [];
  }

  protected async createTextIndex(definition: IndexDefinition, physical: string): Promise<void> {
    const columns = searchableFields(definition).map((f) => this.q(f.name));
    const fts = this.q(`${physical}_fts`);
    const docs = this.docs(physical);
    await this.runner.execute(
      `CREATE VIRTUAL TABLE ${fts} USING fts5(${columns.join(', ')}, content=${this.q(`${physical}_docs`)}, content_rowid='seq', tokenize='unicode61 remove_diacritics 2', prefix='2 3')`,
    );
    const newValues = columns.map((c) => `new.${c}`).join(', ');
    const oldValues = columns.map((c) => `old.${c}`).join(', ');
    const list = columns.join(', ');
    await this.runner.execute(`CREATE TRIGGER ${this.q(`${physical}_ai`)} AFTER INSERT ON ${docs} BEGIN INSERT INTO ${fts}(rowid, ${list}) VALUES (new.seq, ${newValues}); END`);
    await this.runner.execute(`CREATE TRIGGER ${this.q(`${physical}_ad`)} AFTER DELETE ON ${docs} BEGIN INSERT INTO ${fts}(${fts}, rowid, ${list}) VALUES ('delete', old.seq, ${oldValues}); END`);
    await this.runner.execute(
      `CREATE TRIGGER ${this.q(`${physical}_au`)} AFTER UPDATE ON ${docs} BEGIN INSERT INTO ${fts}(${fts}, rowid, ${list}) VALUES ('delete', old.seq, ${oldValues}); INSERT INTO ${fts}(rowid, ${list}) VALUES (new.seq, ${newValues}); END`,
    );
  }

  protected async dropTextIndex(physical: string): Promise<void> {
    await this.runner.execute(`DROP TABLE IF EXISTS ${this.q(`${physical}_fts`)}`);
  }

  protected async textMatch(_definition: IndexDefinition, physical: string, terms: readonly SearchTerm[]): Promise<TextMatch> {
    const fts = this.q(`${physical}_fts`);
    // Terms hold letters and digits only (query-text.ts), so quoting them is all FTS5 needs.
    const expression = terms.map((t) => `"${t.words.join(' ')}"${t.prefix ? '*' : ''}`).join(' AND ');
    return {
      from: `${fts} JOIN ${this.docs(physical)} d ON d.seq = ${fts}.rowid`,
      where: [`${fts} MATCH ?`],
      params: [expression],
      key: `${fts}.rowid`,
      // bm25 is lower for better matches; the port's score is higher-is-better.
      score: { sql: `-bm25(${fts})`, params: [], inner: true },
    };
  }
}

/** better-sqlite3 is synchronous: statements are prepared once and run inline. */
function sqliteRunner(open: () => SQLite.Database): SqlRunner {
  const statements = new Map<string, SQLite.Statement>();
  let opened: SQLite.Database | undefined;
  const db = () => (opened ??= open());
  const prepare = (text: string) => {
    let statement = statements.get(text);
    if (!statement) {
      statement = db().prepare(text);
      if (statements.size > 500) statements.clear();
      statements.set(text, statement);
    }
    return statement;
  };
  const runner: SqlRunner = {
    dialect: 'sqlite',
    async query<R>(text: string, params: readonly unknown[] = []) {
      return prepare(text).all(...params) as R[];
    },
    async execute(text: string, params: readonly unknown[] = []) {
      prepare(text).run(...params);
    },
    async batch(list) {
      // better-sqlite3's transaction() runs synchronously: nothing else can join it.
      db().transaction(() => {
        for (const s of list) prepare(s.text).run(...s.params);
      })();
    },
    async transaction(work) {
      // One handle per process: a statement another caller runs between these awaits joins this transaction, which is harmless for the short alias swap it serves.
      const handle = db();
      handle.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(runner);
        handle.exec('COMMIT');
        return result;
      } catch (error) {
        if (handle.inTransaction) handle.exec('ROLLBACK');
        throw error;
      }
    },
    session: (work) => work(runner),
    async close() {
      statements.clear();
      opened?.close();
      opened = undefined;
    },
  };
  return runner;
}
