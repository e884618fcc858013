import type { Generated, Selectable } from 'kysely';
import { isUniqueViolation } from '../../src/database/errors.ts';
import type { DatabaseConnection } from '../../src/database/contract.ts';
import { insertGetId, now } from '../../src/database/schema.ts';

export interface LinksDatabase {
  links: {
    id: Generated<number>;
    slug: string;
    url: string;
    title: string | null;
    owner_id: number;
    clicks: Generated<number>;
    created_at: string;
    updated_at: string;
  };
  link_click_ledger: { batch_id: string; link_id: number; day: string; clicks: number; created_at: number };
  link_clicks_daily: { link_id: number; day: string; clicks: number };
}

export interface Link {
  readonly id: number;
  readonly slug: string;
  readonly url: string;
  readonly title: string | null;
  readonly ownerId: number;
  readonly clicks: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface LinkChanges {
  readonly slug?: string;
  readonly url?: string;
  readonly title?: string | null;
}

/** Thrown when an insert or update would give two links one slug (a race the pre-check lost). */
export class SlugTakenError extends Error {
  constructor(readonly slug: string) {
    super(`slug ${slug} is taken`);
  }
}

/** Rows of the `links` table in the links database; nothing here knows about HTTP or caching. */
export class LinksStore {
  /** `onChange` hears the ids of created, changed and deleted links after the write (the search index follows them). */
  constructor(
    private readonly connection: DatabaseConnection<LinksDatabase>,
    private readonly onChange?: (ids: readonly number[]) => Promise<void>,
  ) {}

  /** These links (any order); unknown ids are left out. */
  async findMany(ids: readonly number[]): Promise<Link[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('links').selectAll().where('id', 'in', [...ids]).execute()).map(toLink);
  }

  /** Oldest first after `after`: for the search index's rebuild and sync. */
  async scan(after: number, limit: number): Promise<Link[]> {
    return (await this.db.selectFrom('links').selectAll().where('id', '>', after).orderBy('id', 'asc').limit(limit).execute()).map(toLink);
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('links').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  private get db() {
    return this.connection.db;
  }

  async find(id: number): Promise<Link | undefined> {
    const row = await this.db.selectFrom('links').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toLink(row);
  }

  async findBySlug(slug: string): Promise<Link | undefined> {
    const row = await this.db.selectFrom('links').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row && toLink(row);
  }

  async slugExists(slug: string): Promise<boolean> {
    return (await this.db.selectFrom('links').select('id').where('slug', '=', slug).executeTakeFirst()) !== undefined;
  }

  /** Newest first; `before` is the last id of the previous page. */
  async list(limit: number, options: { before?: number; ownerId?: number } = {}): Promise<Link[]> {
    let query = this.db.selectFrom('links').selectAll().orderBy('id', 'desc').limit(limit);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    if (options.ownerId !== undefined) query = query.where('owner_id', '=', options.ownerId);
    return (await query.execute()).map(toLink);
  }

  async create(input: { slug: string; url: string; title: string | null; ownerId: number; clicks?: number }): Promise<Link> {
    const at = now();
    const id = await uniqueSlug(input.slug, () =>
      insertGetId(
        this.db.insertInto('links').values({
          slug: input.slug,
          url: input.url,
          title: input.title,
          owner_id: input.ownerId,
          clicks: input.clicks ?? 0,
          created_at: at,
          updated_at: at,
        }),
        this.connection.dialect,
      ),
    );
    await this.onChange?.([id]);
    return { id, slug: input.slug, url: input.url, title: input.title, ownerId: input.ownerId, clicks: input.clicks ?? 0, createdAt: at, updatedAt: at };
  }

  async update(id: number, changes: LinkChanges): Promise<void> {
    const values = { ...changes, updated_at: now() };
    await uniqueSlug(changes.slug ?? '', () => this.db.updateTable('links').set(values).where('id', '=', id).execute());
    await this.onChange?.([id]);
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom('links').where('id', '=', id).executeTakeFirst();
    await this.onChange?.([id]);
    return Number(result.numDeletedRows) > 0;
  }
}

async function uniqueSlug<T>(slug: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlugTakenError(slug);
    throw error;
  }
}

function toLink(row: Selectable<LinksDatabase['links']>): Link {
  return {
    id: Number(row.id),
    slug: row.slug,
    url: row.url,
    title: row.title,
    ownerId: Number(row.owner_id),
    clicks: Number(row.clicks),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
