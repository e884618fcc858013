import type { Config } from '../config/config.ts';
import { RedisConnections } from '../redis/connection.ts';
import { EmbeddedFiles } from './embedded-files.ts';

/**
 * The shared things drivers sit on: the embedded SQLite files and the Redis connection.
 * Each is opened only when a configured driver first asks for it.
 */
export class Backends {
  readonly files: EmbeddedFiles;
  #redis: RedisConnections | undefined;

  constructor(private readonly config: Config) {
    this.files = new EmbeddedFiles(config.storagePath);
  }

  get redis(): RedisConnections {
    this.#redis ??= new RedisConnections(this.config.redis);
    return this.#redis;
  }

  /** The Redis connection, if any driver uses one. */
  get redisInUse(): RedisConnections | undefined {
    return this.#redis;
  }

  async close(): Promise<void> {
    await this.#redis?.close();
    this.files.close();
  }
}
