/** One statement of a batch. */
export interface SqlStatement {
  readonly text: string;
  readonly params: readonly unknown[];
}

/** What the SQL search drivers need of a database: plain statements with `?` placeholders. */
export interface SqlRunner {
  readonly dialect: 'sqlite' | 'mysql' | 'pgsql';
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<R[]>;
  execute(text: string, params?: readonly unknown[]): Promise<void>;
  /** Runs the statements in order in one transaction (one commit for a whole write batch). */
  batch(statements: readonly SqlStatement[]): Promise<void>;
  /** Runs `work` on one connection in one transaction (a session setting, a multi-statement swap). */
  transaction<T>(work: (runner: SqlRunner) => Promise<T>): Promise<T>;
  /** Runs `work` on one connection, outside a transaction (DDL after a session setting). */
  session<T>(work: (runner: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
