import { CompiledQuery } from 'kysely';
import type { DatabaseConnection, Driver, QueryCompiler, QueryResult, TransactionSettings } from 'kysely';
import { readWriteContext } from './read-write-context.ts';

// Queries answered by a replica, so the query timer (query-timing.ts, fed by Kysely's `log`) can tell reader from writer.
const replicaQueries = new WeakSet<CompiledQuery>();

/** True when this compiled query was answered by a read replica (else the primary ran it). */
export function ranOnReplica(query: CompiledQuery): boolean {
  return replicaQueries.has(query);
}

export interface Replica {
  readonly name: string;
  readonly driver: Driver;
}

export interface ReplicaDriverOptions {
  /** How long a failed replica is left out before it is tried again. */
  readonly retryAfterMs: number;
  readonly onReplicaDown: (replica: string, error: Error) => void;
  /** How far behind each replica is, measured every `everyMs`; reads skip a replica more than `maxSeconds` behind. */
  readonly lag?: ReplicaLagOptions | undefined;
}

export interface ReplicaLagOptions {
  /** The dialect's query; `read` turns its first row into seconds (Infinity: not replicating). */
  readonly sql: string;
  readonly read: (row: Record<string, unknown> | undefined) => number;
  /** DB_REPLICA_MAX_LAG; undefined: measured and reported only. */
  readonly maxSeconds: number | undefined;
  readonly everyMs: number;
  readonly onLag: (replica: string, seconds: number) => void;
}

/**
 * Kysely driver for one primary and N read replicas (DB_READ_HOSTS), as Laravel's
 * read/write connections: SELECTs go to the replicas round-robin; writes, raw SQL and
 * everything inside a transaction go to the primary, and so do reads after a write in the
 * same request or session (see read-write-context.ts). A replica that fails is skipped
 * for a while, with a warning, and the read runs on the primary instead.
 * Hand-written: Kysely has no replica support and no maintained plugin adds it.
 */
export class ReplicaDriver implements Driver {
  readonly #downUntil = new Map<string, number>();
  /** Last measured lag per replica, in seconds. */
  readonly #lag = new Map<string, number>();
  #lagTimer: NodeJS.Timeout | undefined;
  #next = 0;

  constructor(
    private readonly primary: Driver,
    private readonly replicas: readonly Replica[],
    private readonly options: ReplicaDriverOptions,
  ) {
    readWriteContext.track();
  }

  async init(): Promise<void> {
    await this.primary.init();
    // A replica that is down at boot must not stop the node: it is tried per query.
    await Promise.all(this.replicas.map((r) => r.driver.init().catch((error: Error) => this.markDown(r, error))));
    const lag = this.options.lag;
    if (lag) {
      await this.#measureLag(lag);
      this.#lagTimer = setInterval(() => void this.#measureLag(lag), lag.everyMs);
      this.#lagTimer.unref();
    }
  }

  /** One lag query per replica that is not left out; a replica that does not answer is left to the read path's markDown. */
  async #measureLag(lag: ReplicaLagOptions): Promise<void> {
    const now = Date.now();
    await Promise.all(
      this.replicas
        .filter((r) => (this.#downUntil.get(r.name) ?? 0) <= now)
        .map(async (replica) => {
          let connection: DatabaseConnection | undefined;
          try {
            connection = await replica.driver.acquireConnection();
            const result = await connection.executeQuery<Record<string, unknown>>(CompiledQuery.raw(lag.sql));
            const seconds = lag.read(result.rows[0]);
            this.#lag.set(replica.name, seconds);
            lag.onLag(replica.name, seconds);
          } catch {
            // Unknown (no privilege to ask, or down): not held against the replica.
            this.#lag.delete(replica.name);
          } finally {
            if (connection) await replica.driver.releaseConnection(connection).catch(() => {});
          }
        }),
    );
  }

  /** Too far behind for DB_REPLICA_MAX_LAG, as last measured. */
  #lagging(replica: Replica): boolean {
    const max = this.options.lag?.maxSeconds;
    return max !== undefined && (this.#lag.get(replica.name) ?? 0) > max;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new RoutingConnection(this);
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const routing = connection as RoutingConnection;
    routing.pinToPrimary();
    readWriteContext.noteWrite();
    await this.primary.beginTransaction(await routing.primaryConnection(), settings);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.primary.commitTransaction(await (connection as RoutingConnection).primaryConnection());
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.primary.rollbackTransaction(await (connection as RoutingConnection).primaryConnection());
  }

  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.primary.savepoint?.(await (connection as RoutingConnection).primaryConnection(), name, compile);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.primary.rollbackToSavepoint?.(await (connection as RoutingConnection).primaryConnection(), name, compile);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.primary.releaseSavepoint?.(await (connection as RoutingConnection).primaryConnection(), name, compile);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await (connection as RoutingConnection).release();
  }

  async destroy(): Promise<void> {
    clearInterval(this.#lagTimer);
    await Promise.allSettled(this.replicas.map((r) => r.driver.destroy()));
    await this.primary.destroy();
  }

  get primaryDriver(): Driver {
    return this.primary;
  }

  /** The next healthy replica, round-robin; undefined when none is up. */
  pickReplica(): Replica | undefined {
    const now = Date.now();
    for (let i = 0; i < this.replicas.length; i++) {
      const replica = this.replicas[(this.#next + i) % this.replicas.length]!;
      if ((this.#downUntil.get(replica.name) ?? 0) <= now && !this.#lagging(replica)) {
        this.#next = (this.#next + i + 1) % this.replicas.length;
        return replica;
      }
    }
    return undefined;
  }

  markDown(replica: Replica, error: Error): void {
    this.#downUntil.set(replica.name, Date.now() + this.options.retryAfterMs);
    this.options.onReplicaDown(replica.name, error);
  }
}

/** One logical connection that holds a primary and/or a replica connection as its queries need them. */
class RoutingConnection implements DatabaseConnection {
  #primary: DatabaseConnection | undefined;
  #replica: { replica: Replica; connection: DatabaseConnection } | undefined;
  #pinned = false;

  constructor(private readonly router: ReplicaDriver) {}

  pinToPrimary(): void {
    this.#pinned = true;
  }

  async primaryConnection(): Promise<DatabaseConnection> {
    this.#primary ??= await this.router.primaryDriver.acquireConnection();
    return this.#primary;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#pinned || !isRead(query) || readWriteContext.readsMustUsePrimary()) {
      if (!isRead(query)) {
        readWriteContext.noteWrite();
        // Read-your-writes on this connection even outside a request: the MySQL migrator takes
        // get_lock and then reads its state on one connection, which a lagging replica would falsify.
        this.#pinned = true;
      }
      return (await this.primaryConnection()).executeQuery<R>(query);
    }
    const replica = this.router.pickReplica();
    if (replica) {
      try {
        this.#replica ??= { replica, connection: await replica.driver.acquireConnection() };
        const result = await this.#replica.connection.executeQuery<R>(query);
        replicaQueries.add(query);
        return result;
      } catch (error) {
        // Whatever went wrong on the replica, the primary answers; a real query error will fail there too.
        if (isConnectionError(error)) this.router.markDown(this.#replica?.replica ?? replica, error as Error);
        await this.#releaseReplica();
      }
    }
    return (await this.primaryConnection()).executeQuery<R>(query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    yield* (await this.primaryConnection()).streamQuery<R>(query, chunkSize);
  }

  async release(): Promise<void> {
    await this.#releaseReplica();
    if (this.#primary) await this.router.primaryDriver.releaseConnection(this.#primary);
    this.#primary = undefined;
  }

  async #releaseReplica(): Promise<void> {
    const held = this.#replica;
    this.#replica = undefined;
    if (held) await held.replica.driver.releaseConnection(held.connection).catch(() => {});
  }
}

function isRead(query: CompiledQuery): boolean {
  return query.query.kind === 'SelectQueryNode';
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', '57P01', '57P03']);

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, fatal } = error as { code?: string; fatal?: boolean };
  return fatal === true || (code !== undefined && CONNECTION_CODES.has(code)) || /connect|terminat|closed/i.test(error.message);
}
