import type { SeedContext } from '../../src/platform/app-module.ts';
import type { Services } from '../../src/platform/services.ts';
import { LinksStore, type LinksDatabase } from './links-store.ts';
import { notifyLinkSearch } from './search-index.ts';

const ADMIN_LINKS = [
  { slug: 'docs', url: 'https://nodejs.org/docs/latest-v20.x/api/', title: 'Node.js 20 API docs', clicks: 42 },
  { slug: 'guides', url: 'https://fastify.dev/docs/latest/Guides/', title: 'Fastify guides', clicks: 17 },
  { slug: 'kysely', url: 'https://kysely.dev/docs/intro', title: 'Kysely: the query builder', clicks: 5 },
];
const EDITOR_LINKS = [{ slug: 'typebox', url: 'https://github.com/sinclairzx81/typebox', title: 'TypeBox', clicks: 3 }];

/** Demo short links: a few of the admin's, one of the demo editor's (to show ownership). */
export async function seedLinks(services: Services, ctx: SeedContext): Promise<void> {
  const store = new LinksStore(services.databases.get<LinksDatabase>('links'), (ids) => notifyLinkSearch(services, ids));
  const editor = ctx.demoUsers[0];
  const wanted = [
    ...ADMIN_LINKS.map((l) => ({ ...l, ownerId: ctx.admin.id })),
    ...(editor ? EDITOR_LINKS.map((l) => ({ ...l, ownerId: editor.id })) : []),
  ];
  for (const link of wanted) {
    if (!(await store.slugExists(link.slug))) await store.create(link);
  }
}
