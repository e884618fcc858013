import type { Config } from '../config/config.ts';
import { AccessTokens } from '../auth/access-tokens.ts';
import { AuditLog, type AuditDatabase } from '../auth/audit.ts';
import { Rbac } from '../auth/rbac.ts';
import type { RbacDatabase } from '../auth/rbac-schema.ts';
import { Users } from '../auth/users.ts';
import { createCacheStore } from '../cache/manager.ts';
import { Cache } from '../cache/repository.ts';
import { DatabaseManager } from '../database/manager.ts';
import { createLockStore } from '../lock/manager.ts';
import { Locks } from '../lock/locks.ts';
import type { Logger } from '../observability/logger.ts';
import type { RedisConnections } from '../redis/connection.ts';
import type { RateLimitStore } from '../ratelimit/contract.ts';
import { createRateLimitStore } from '../ratelimit/manager.ts';
import type { SessionStore } from '../session/contract.ts';
import { CachedSessionStore } from '../session/cached.ts';
import type { InvalidationBus } from '../invalidation/contract.ts';
import { createInvalidationBus } from '../invalidation/manager.ts';
import { createSessionStore } from '../session/manager.ts';
import type { Mailer } from '../mail/contract.ts';
import { createMailer } from '../mail/manager.ts';
import type { FailedJobProvider, JobSource } from '../queue/contract.ts';
import { createQueueBackend } from '../queue/manager.ts';
import { Queue } from '../queue/queue.ts';
import { createSearchEngine } from '../search/manager.ts';
import { Search } from '../search/search.ts';
import type { ObjectStorage } from '../storage/contract.ts';
import { createStorage } from '../storage/manager.ts';
import type { BroadcastPort } from '../realtime/contract.ts';
import { createBroadcast } from '../realtime/manager.ts';
import type { TelemetryStore } from '../telemetry/contract.ts';
import { createTelemetryStore } from '../telemetry/manager.ts';
import { Backends } from './backends.ts';

/** Everything a role needs, built once from config: the drivers behind every port. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly databases: DatabaseManager;
  readonly cache: Cache;
  readonly sessions: SessionStore;
  /** Tells every process to drop its in-process copies (sessions, principals) when they change. */
  readonly invalidations: InvalidationBus;
  readonly locks: Locks;
  readonly rateLimits: RateLimitStore;
  readonly users: Users;
  readonly rbac: Rbac;
  /** Personal access tokens (`Authorization: Bearer`), in the RBAC database. */
  readonly tokens: AccessTokens;
  readonly audit: AuditLog;
  /** Dispatch jobs here; `marg work` (or `marg start`) runs them. Also the queues' counts and driver name. */
  readonly queue: Queue;
  /** Jobs that failed for good: list, retry, forget, flush, prune (`marg queue:*`). */
  readonly failedJobs: FailedJobProvider;
  /** Where the worker role takes jobs from. */
  readonly jobSource: JobSource;
  /** Sends mail: .eml files under storage/mail (log) or SMTP when MAIL_HOST is set. */
  readonly mail: Mailer;
  /** Object storage (FILESYSTEM_DISK): uploads, avatars, attachments. */
  readonly storage: ObjectStorage;
  /** Realtime events to channels (BROADCAST_CONNECTION): apps publish here, realtime nodes deliver. */
  readonly broadcast: BroadcastPort;
  /** Search (SEARCH_DRIVER): queries, and change notices that queue index jobs. */
  readonly search: Search;
  /** Heartbeats and per-minute aggregates of every node (the ops app reads them): Redis when one is in use, else the platform database. */
  readonly telemetry: TelemetryStore;
  /** The Redis connection when a driver uses Redis (for health checks). */
  readonly redis: RedisConnections | undefined;
  close(): Promise<void>;
}

/**
 * Builds every port from config. Async because each manager imports only the driver its config
 * names (issue 19: an embedded node loads no ioredis, bullmq, pg, mysql2...).
 */
export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const backends = new Backends(config);
  const databases = await DatabaseManager.open(config, logger);
  const [cacheStore, sessionStore, invalidations, lockStore, rateLimits, queueBackend, mail, broadcast, searchEngine, storage] = await Promise.all([
    createCacheStore(config, backends),
    createSessionStore(config, backends),
    createInvalidationBus(config, backends),
    createLockStore(config, backends),
    createRateLimitStore(config, backends),
    createQueueBackend(config, databases),
    createMailer(config, logger),
    createBroadcast(config, backends, (error) => logger.warn({ err: error }, 'broadcast: redis error')),
    createSearchEngine(config, databases),
    createStorage(config),
  ]);
  const cache = new Cache(cacheStore, config.cache.prefix);
  const locks = new Locks(lockStore);
  const sessions = new CachedSessionStore(sessionStore, invalidations);
  const rbacDb = databases.get<RbacDatabase>('rbac');
  const queue = new Queue(queueBackend);
  const search = new Search(searchEngine, queue, config.search.queue);
  // Last: it takes Redis only when a driver above opened it.
  const telemetry = await createTelemetryStore(config, databases, backends.redisInUse);
  return {
    config,
    logger,
    databases,
    cache,
    sessions,
    invalidations,
    locks,
    rateLimits,
    users: new Users(rbacDb),
    rbac: new Rbac(rbacDb, cache, config.rbacCacheTtl, invalidations),
    tokens: new AccessTokens(rbacDb),
    audit: new AuditLog(databases.get<AuditDatabase>(config.layout.auditDatabase)),
    queue,
    search,
    failedJobs: queueBackend.failedJobs,
    jobSource: queueBackend.source,
    mail,
    storage,
    broadcast,
    telemetry,
    redis: backends.redisInUse,
    async close() {
      await Promise.allSettled([sessions.close(), cache.close(), locks.close(), rateLimits.close(), queueBackend.close(), mail.close(), broadcast.close(), search.engine.close(), storage.close(), telemetry.close(), invalidations.close()]);
      await databases.close();
      await backends.close();
    },
  };
}
