import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Cache } from '../cache/repository.ts';
import type { Logger } from '../observability/logger.ts';

/** The cache key (under CACHE_PREFIX) that holds the maintenance state while the apps are down. */
export const MAINTENANCE_KEY = 'maintenance';

const StoredState = Type.Object({
  since: Type.String(),
  retryAfterSeconds: Type.Integer({ minimum: 1 }),
  message: Type.Optional(Type.String({ maxLength: 500 })),
  /** HMAC of the bypass secret (src/maintenance/secrets.ts); the secret itself is never stored. */
  secretHash: Type.Optional(Type.String()),
});

/** What `marg down` recorded: when, how long clients should wait, what to tell them, and who may pass. */
export type MaintenanceState = Static<typeof StoredState>;

/**
 * Maintenance mode in shared state: the cache store (Redis when configured, else the SQLite
 * cache file every process on the machine shares), with no expiry, so `marg down` on any
 * machine with the same configuration reaches every node.
 */
export class MaintenanceMode {
  constructor(private readonly cache: Cache, private readonly logger?: Logger) {}

  /** The current state, or undefined when the apps are up. */
  async read(): Promise<MaintenanceState | undefined> {
    const stored = await this.cache.get(MAINTENANCE_KEY);
    if (stored === undefined) return undefined;
    if (Value.Check(StoredState, stored)) return stored;
    // Only `marg down` writes this key; if something else did, staying down is the safe reading (`marg up` clears it).
    this.logger?.warn({ key: this.cache.key(MAINTENANCE_KEY) }, 'maintenance state is malformed; treating the apps as down');
    return { since: new Date(0).toISOString(), retryAfterSeconds: 60 };
  }

  async down(state: MaintenanceState): Promise<void> {
    const stored: Record<string, string | number> = { since: state.since, retryAfterSeconds: state.retryAfterSeconds };
    if (state.message !== undefined) stored.message = state.message;
    if (state.secretHash !== undefined) stored.secretHash = state.secretHash;
    // No TTL: the apps stay down until `marg up`.
    await this.cache.set(MAINTENANCE_KEY, stored);
  }

  /** True when the apps were down. */
  up(): Promise<boolean> {
    return this.cache.delete(MAINTENANCE_KEY);
  }
}
