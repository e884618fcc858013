import { Redis, type RedisOptions } from 'ioredis';
import { withTimeout } from '../support/timeout.ts';
import { redisPrimaryChanges } from '../observability/metrics.ts';
import type { RedisSettings } from './settings.ts';

/** Where a client points, for messages (never includes the password). */
export function describeRedis(settings: RedisSettings): string {
  return settings.sentinels.length > 0
    ? `sentinel ${settings.sentinelService} via ${settings.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`
    : `${settings.host}:${settings.port}/${settings.db}`;
}

export function redisOptions(settings: RedisSettings): RedisOptions {
  const common: RedisOptions = {
    db: settings.db,
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: {} } : {}),
    // Commands fail after a short outage instead of queueing forever: callers see an error, /health sees "unhealthy".
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    // Closing a connection that never opened should not hold the process for ioredis's default 2 s.
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  };
  if (settings.sentinels.length > 0) {
    return {
      ...common,
      // Each attempt asks a Sentinel where the primary is: after a failover, a client retrying
      // every ≤ 500 ms finds the promoted replica within half a second of the switch.
      retryStrategy: (attempt) => Math.min(attempt * 100, 500),
      sentinels: settings.sentinels.map((s) => ({ host: s.host, port: s.port })),
      name: settings.sentinelService ?? 'mymaster',
      ...(settings.sentinelPassword ? { sentinelPassword: settings.sentinelPassword } : {}),
    };
  }
  return { ...common, host: settings.host, port: settings.port };
}

/**
 * One shared command connection per process (ioredis pipelines concurrent commands over
 * it). Opened on first use; `ready()` fails fast at boot when Redis is unreachable.
 */
export class RedisConnections {
  #client: Redis | undefined;

  constructor(readonly settings: RedisSettings) {}

  get client(): Redis {
    if (!this.#client) {
      const client = this.duplicate();
      client.on('ready', () => void this.#noteServer(client));
      this.#client = client;
    }
    return this.#client;
  }

  /** The server's run_id after each (re)connect: a new one means a failover or a restart (marg_redis_primary_changes_total). */
  #runId: string | undefined;
  async #noteServer(client: Redis): Promise<void> {
    try {
      const runId = /run_id:(\w+)/.exec(await client.info('server'))?.[1];
      if (runId && this.#runId && runId !== this.#runId) redisPrimaryChanges.inc();
      if (runId) this.#runId = runId;
    } catch {
      // A connection that drops again at once: the next 'ready' asks again.
    }
  }

  /** A dedicated connection (blocking commands, subscribers, BullMQ). The caller closes it. */
  duplicate(extra: RedisOptions = {}): Redis {
    const client = new Redis({ ...redisOptions(this.settings), ...extra });
    // Errors surface on the commands that hit them; an unhandled 'error' event would crash the process.
    client.on('error', () => {});
    return client;
  }

  async ready(timeoutMs = 5_000): Promise<void> {
    const client = this.client;
    // The PING fails with ioredis's "max retries per request"; the operator needs the socket's reason (ECONNREFUSED, NOAUTH...).
    let connectionError: Error | undefined;
    const remember = (error: Error) => (connectionError = error);
    client.on('error', remember);
    try {
      await withTimeout(client.ping(), timeoutMs);
    } catch (error) {
      throw new Error(`cannot reach Redis at ${describeRedis(this.settings)}: ${(connectionError ?? (error as Error)).message}`);
    } finally {
      client.off('error', remember);
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.quit().catch(() => client.disconnect());
  }
}
