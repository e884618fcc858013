import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/config.ts';
import type { Backends } from '../platform/backends.ts';
import type { BroadcastPort } from './contract.ts';

/** Picks the broadcast driver named by BROADCAST_CONNECTION; only that driver's module is imported. */
export async function createBroadcast(config: Config, backends: Backends, onError: (error: Error) => void): Promise<BroadcastPort> {
  switch (config.realtime.driver) {
    case 'memory': {
      const { MemoryBroadcast } = await import('./memory.ts');
      return new MemoryBroadcast();
    }
    case 'redis': {
      const [{ RedisBroadcast }, redis] = await Promise.all([import('./redis.ts'), backends.redis()]);
      return new RedisBroadcast({
        client: redis.client,
        subscriber: () => redis.duplicate(),
        prefix: `${config.redis.prefix}realtime:${config.realtime.app?.id ?? 'marg'}:`,
        // Unique per process: a node restarted under the same name must not be taken for the dead one.
        nodeId: `${config.nodeName ?? `${hostname()}:${process.pid}`}:${randomBytes(3).toString('hex')}`,
        nodeTimeoutMs: config.realtime.nodeTimeoutMs,
        onError,
      });
    }
  }
}
