import type { Cache } from '../../src/cache/repository.ts';
import type { JsonValue } from '../../src/support/json.ts';
import type { LinksStore } from './links-store.ts';

/** Where a slug leads: all a redirect needs, small enough to cache. */
export type SlugTarget = { id: number; url: string };

const TTL_SECONDS = 300;

/**
 * The slug → URL lookup behind every redirect, read through the shared cache. Writers call
 * `forget` after changing the database, so a changed URL or a deleted link takes effect at
 * once on every server. Unknown slugs are not cached: a scan of random slugs must not fill it.
 */
export class SlugCache {
  constructor(
    private readonly cache: Cache,
    private readonly store: LinksStore,
  ) {}

  async target(slug: string): Promise<SlugTarget | undefined> {
    const key = slugKey(slug);
    const cached = await this.cache.get(key);
    if (isTarget(cached)) return cached;
    const link = await this.store.findBySlug(slug);
    if (!link) return undefined;
    const target: SlugTarget = { id: link.id, url: link.url };
    await this.cache.set(key, target, TTL_SECONDS);
    return target;
  }

  async forget(...slugs: string[]): Promise<void> {
    for (const slug of new Set(slugs)) await this.cache.delete(slugKey(slug));
  }
}

export function slugKey(slug: string): string {
  return `links:slug:${slug}`;
}

function isTarget(value: JsonValue | undefined): value is SlugTarget {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.id === 'number' && typeof value.url === 'string';
}
