import type { DatabaseConnection } from '../../src/database/contract.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { ClickBuffer } from './clicks.ts';
import { LinkService } from './link-service.ts';
import { LinksStore, type LinksDatabase } from './links-store.ts';
import { SlugCache } from './slug-cache.ts';
import { notifyLinkSearch } from './search-index.ts';

/** The pieces the links routes share, built once per server. */
export interface LinksParts {
  readonly ctx: AppContext;
  readonly connection: DatabaseConnection<LinksDatabase>;
  readonly store: LinksStore;
  readonly slugs: SlugCache;
  readonly service: LinkService;
  readonly clicks: ClickBuffer;
}

export function createLinksParts(ctx: AppContext): LinksParts {
  const connection = ctx.services.databases.get<LinksDatabase>('links');
  const store = new LinksStore(connection, (ids) => notifyLinkSearch(ctx.services, ids));
  const slugs = new SlugCache(ctx.services.cache, store);
  return { ctx, connection, store, slugs, service: new LinkService(store, slugs), clicks: new ClickBuffer(ctx.services.queue, ctx.services.logger) };
}
