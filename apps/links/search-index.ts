import type { IndexDefinition, SearchDocument } from '../../src/search/contract.ts';
import { checkDefinition } from '../../src/search/definition.ts';
import type { SearchSource } from '../../src/search/source.ts';
import type { Services } from '../../src/platform/services.ts';
import type { Link } from './links-store.ts';

/** links' search index: words of the slug, title and URL; filter by owner. */
export const LINKS_INDEX: IndexDefinition = checkDefinition({
  name: 'links_links',
  fields: [
    { name: 'slug', type: 'text', searchable: true },
    { name: 'title', type: 'text', searchable: true },
    { name: 'url', type: 'text', searchable: true },
    { name: 'owner_id', type: 'integer', filterable: true },
    { name: 'updated_at', type: 'date', sortable: true },
  ],
});

export function linkDocument(link: Link): SearchDocument {
  return {
    id: String(link.id),
    version: Date.parse(link.updatedAt),
    fields: { slug: link.slug, title: link.title, url: link.url, owner_id: link.ownerId, updated_at: link.updatedAt },
  };
}

/** Queues the index job for changed links; a failure is logged, and the nightly sync repairs it. */
export async function notifyLinkSearch(services: Services, ids: readonly number[]): Promise<void> {
  const version = Date.now();
  try {
    await services.search.changed(LINKS_INDEX, ids.map((id) => ({ id: String(id), version })));
  } catch (error) {
    services.logger.warn({ err: error, index: LINKS_INDEX.name, ids }, 'search index job not queued: the nightly sync will repair it');
  }
}

export interface LinkReader {
  findMany(ids: readonly number[]): Promise<Link[]>;
  scan(after: number, limit: number): Promise<Link[]>;
  count(): Promise<number>;
}

export function linkSearchSource(store: LinkReader): SearchSource {
  return {
    definition: LINKS_INDEX,
    async load(ids) {
      return (await store.findMany(ids.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0))).map(linkDocument);
    },
    async scan(after, limit) {
      return (await store.scan(after === undefined ? 0 : Number(after), limit)).map(linkDocument);
    },
    count: () => store.count(),
  };
}
