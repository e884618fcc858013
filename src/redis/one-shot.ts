import { Redis } from 'ioredis';

export interface OneShotAddress {
  readonly host: string;
  readonly port: number;
  readonly password?: string | undefined;
  readonly username?: string | undefined;
}

/**
 * Runs `work` on a client of its own that fails at once instead of retrying (for probes of a
 * server that may be down: a Sentinel, a primary just killed), and disconnects it after.
 */
export async function withOneShotRedis<T>(address: OneShotAddress, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    ...(address.password ? { password: address.password } : {}),
    ...(address.username ? { username: address.username } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}
