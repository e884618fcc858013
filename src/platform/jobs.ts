import type { JobFactory } from './app-module.ts';

/** Users whose permissions one query batch loads and caches. */
export const RBAC_WARM_BATCH = 500;

/**
 * The platform's own queue jobs (apps add theirs on their AppModule).
 *
 * `rbac.warm-cache` (dispatched by the scheduler every 10 minutes): refreshes every user's
 * cached permissions, newest users first, a batch at a time, so that requests keep finding
 * them cached instead of loading them from the RBAC database when an entry expires. Users
 * have no "last signed in" record to narrow it down, hence all of them; a batch is two
 * queries. Safe to run twice (it only rewrites cache entries).
 */
export const platformJobs: JobFactory = (services) => ({
  async 'rbac.warm-cache'(_payload, { signal }) {
    if (services.config.rbacCacheTtl <= 0) return;
    let before: number | undefined;
    let warmed = 0;
    for (;;) {
      signal.throwIfAborted();
      const page = await services.users.list(RBAC_WARM_BATCH, before);
      if (page.length === 0) break;
      warmed += await services.rbac.warm(page.map((u) => u.id));
      if (page.length < RBAC_WARM_BATCH) break;
      before = page[page.length - 1]!.id;
    }
    services.logger.info({ warmed }, 'RBAC cache warmed');
  },
});
