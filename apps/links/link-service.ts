import { conflict } from '../../src/http/errors.ts';
import { checkLinkInput, type LinkInput } from './link-input.ts';
import { SlugTakenError, type Link, type LinksStore } from './links-store.ts';
import type { SlugCache } from './slug-cache.ts';
import { generateSlug } from './slugs.ts';

const GENERATE_ATTEMPTS = 5;

/**
 * Creating, changing and deleting links, shared by the API and the pages: input checks
 * (422), slug uniqueness (409), and dropping cached redirects after every write.
 * Who may touch which link is decided before these are called (see access.ts).
 */
export class LinkService {
  constructor(
    private readonly store: LinksStore,
    private readonly slugs: SlugCache,
  ) {}

  async create(ownerId: number, input: LinkInput & { url: string }): Promise<Link> {
    const values = checkLinkInput(input);
    const row = { url: values.url ?? '', title: values.title ?? null, ownerId };
    let link: Link;
    if (values.slug !== undefined) {
      if (await this.store.slugExists(values.slug)) throw slugTaken();
      link = await this.store.create({ ...row, slug: values.slug }).catch(rethrowTaken);
    } else {
      link = await this.#createWithGeneratedSlug(row);
    }
    // A redirect racing a delete of an earlier link with this slug may have re-cached it.
    await this.slugs.forget(link.slug);
    return link;
  }

  async update(link: Link, input: LinkInput): Promise<Link> {
    const changes = checkLinkInput(input);
    if (Object.keys(changes).length === 0) return link;
    if (changes.slug !== undefined && changes.slug !== link.slug && (await this.store.slugExists(changes.slug))) throw slugTaken();
    await this.store.update(link.id, changes).catch(rethrowTaken);
    await this.slugs.forget(link.slug, changes.slug ?? link.slug);
    const updated = await this.store.find(link.id);
    // Deleted by someone else between the two statements: report what was written.
    return updated ?? { ...link, ...changes };
  }

  async delete(link: Link): Promise<void> {
    await this.store.delete(link.id);
    await this.slugs.forget(link.slug);
  }

  async #createWithGeneratedSlug(row: { url: string; title: string | null; ownerId: number }): Promise<Link> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.create({ ...row, slug: generateSlug() });
      } catch (error) {
        // 62^7 slugs make a collision rare; a few retries make failure practically impossible.
        if (!(error instanceof SlugTakenError) || attempt >= GENERATE_ATTEMPTS) throw error;
      }
    }
  }
}

function slugTaken() {
  return conflict('That short link is already taken.', { slug: 'is already taken' });
}

function rethrowTaken(error: unknown): never {
  throw error instanceof SlugTakenError ? slugTaken() : error;
}
