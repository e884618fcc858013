import type { Config } from '../config/config.ts';
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
import { createSessionStore } from '../session/manager.ts';
import type { Mailer } from '../mail/contract.ts';
import { createMailer } from '../mail/manager.ts';
import type { FailedJobProvider, JobSource } from '../queue/contract.ts';
import { createQueueBackend } from '../queue/manager.ts';
import { Queue } from '../queue/queue.ts';
import type { ObjectStorage } from '../storage/contract.ts';
import { createStorage } from '../storage/manager.ts';
import { Backends } from './backends.ts';

/** Everything a role needs, built once from config: the drivers behind every port. */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly databases: DatabaseManager;
  readonly cache: Cache;
  readonly sessions: SessionStore;
  readonly locks: Locks;
  readonly rateLimits: RateLimitStore;
  readonly users: Users;
  readonly rbac: Rbac;
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
  /** The Redis connection when a driver uses Redis (for health checks). */
  readonly redis: RedisConnections | undefined;
  close(): Promise<void>;
}

export function createServices(config: Config, logger: Logger): Services {
  const backends = new Backends(config);
  const databases = new DatabaseManager(config, logger);
  const cache = new Cache(createCacheStore(config, backends), config.cache.prefix);
  const sessions = createSessionStore(config, backends);
  const locks = new Locks(createLockStore(config, backends));
  const rateLimits = createRateLimitStore(config, backends);
  const rbacDb = databases.get<RbacDatabase>('rbac');
  const queueBackend = createQueueBackend(config, databases);
  const mail = createMailer(config, logger);
  return {
    config,
    logger,
    databases,
    cache,
    sessions,
    locks,
    rateLimits,
    users: new Users(rbacDb),
    rbac: new Rbac(rbacDb, cache, config.rbacCacheTtl),
    audit: new AuditLog(databases.get<AuditDatabase>(config.layout.auditDatabase)),
    queue: new Queue(queueBackend),
    failedJobs: queueBackend.failedJobs,
    jobSource: queueBackend.source,
    mail,
    storage: createStorage(config),
    redis: backends.redisInUse,
    async close() {
      await Promise.allSettled([sessions.close(), cache.close(), locks.close(), rateLimits.close(), queueBackend.close(), mail.close()]);
      await databases.close();
      await backends.close();
    },
  };
}
