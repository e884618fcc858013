import type { AppModule } from '../../src/platform/app-module.ts';
import { linksApi } from './api.ts';
import { clickJobs, clicksRollupTask } from './clicks.ts';
import { linksMigrations } from './migrations.ts';
import { linkPageRoutes } from './link-page.ts';
import { linksPages } from './pages.ts';
import { createLinksParts } from './parts.ts';
import { linksPermissions } from './permissions.ts';
import { redirectRoutes } from './redirect.ts';
import { seedLinks } from './seed.ts';
import { linkSearchRoutes } from './search-api.ts';
import { linkSearchSource } from './search-index.ts';
import { LinksStore, type LinksDatabase } from './links-store.ts';

/** links: short links with a public redirect `/:slug` whose clicks are counted through the queue. */
export const links: AppModule = {
  name: 'links',
  title: 'Links',
  description: 'Short links: create, share, count clicks',
  migrations: linksMigrations,
  permissions: linksPermissions,
  async routes(app, ctx) {
    const parts = createLinksParts(ctx);
    await app.register(linksApi, parts);
    await app.register(linksPages, parts);
    await app.register(linkPageRoutes, parts);
    await app.register(linkSearchRoutes, parts);
    await app.register(redirectRoutes, parts);
  },
  channels: [{ pattern: 'private-links.clicks', permission: 'links.links.read' }],
  searchIndexes: (services) => [linkSearchSource(new LinksStore(services.databases.get<LinksDatabase>('links')))],
  jobs: clickJobs,
  schedule: [clicksRollupTask],
  seed: seedLinks,
};
