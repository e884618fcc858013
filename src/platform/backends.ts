import type { Config } from '../config/config.ts';
import type { RedisConnections } from '../redis/connection.ts';
import { EmbeddedFiles } from './embedded-files.ts';

/**
 * The shared things drivers sit on: the embedded SQLite files and the Redis connection.
 * Each is opened only when a configured driver first asks for it; ioredis is imported then too,
 * so a node whose drivers use no Redis never loads it (issue 19).
 */
export class Backends {
  readonly files: EmbeddedFiles;
  #redis: Promise<RedisConnections> | undefined;
  #redisOpened: RedisConnections | undefined;

  constructor(private readonly config: Config) {
    this.files = new EmbeddedFiles(config.storagePath);
  }

  /** The shared Redis connection (opened on its first command). */
  redis(): Promise<RedisConnections> {
    this.#redis ??= import('../redis/connection.ts').then(({ RedisConnections }) => (this.#redisOpened = new RedisConnections(this.config.redis)));
    return this.#redis;
  }

  /** The Redis connection, if any driver uses one. */
  get redisInUse(): RedisConnections | undefined {
    return this.#redisOpened;
  }

  async close(): Promise<void> {
    // A driver that asked for Redis has its connection by now (createServices awaits every driver).
    await this.#redisOpened?.close();
    this.files.close();
  }
}
