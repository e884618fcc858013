import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../src/auth/rbac.ts';
import { PageQuery } from '../../src/http/pagination.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import type { SearchFilter } from '../../src/search/contract.ts';
import { SearchText, searchForRoute } from '../../src/search/http.ts';
import { searchResultsPage } from '../../src/search/views.ts';
import { READ } from './access.ts';
import { linkJson } from './link-json.ts';
import type { LinksParts } from './parts.ts';
import { LINKS_INDEX } from './search-index.ts';

const LinkSearchQuery = Type.Object({
  ...PageQuery.properties,
  q: Type.Optional(SearchText),
  owner: Type.Optional(Type.Literal('me')),
});

interface LinkSearchParams {
  readonly q?: string;
  readonly owner?: 'me';
  readonly cursor?: string;
  readonly limit: number;
}

/** Finds links by slug, title or URL words; the links are read back from the database (fresh, deleted ones left out). */
async function searchLinks(parts: LinksParts, request: FastifyRequest, principal: Principal, params: LinkSearchParams) {
  const { ctx, store } = parts;
  const filters: SearchFilter[] = params.owner === 'me' ? [{ field: 'owner_id', op: 'eq', value: principal.id }] : [];
  const text = params.q?.trim() ?? '';
  const result = await searchForRoute(ctx.services.search, LINKS_INDEX, {
    text,
    filters,
    sort: text === '' ? [{ field: 'updated_at', direction: 'desc' }] : [],
    limit: params.limit,
    cursor: params.cursor,
    highlight: ['slug', 'title', 'url'],
  });
  const links = new Map((await store.findMany(result.hits.map((h) => Number(h.id)))).map((l) => [String(l.id), l]));
  const data = result.hits.flatMap((hit) => {
    const link = links.get(hit.id);
    return link ? [{ ...linkJson(ctx, request, link), highlights: hit.highlights }] : [];
  });
  return { data, next: result.next };
}

/** `GET /api/search?q=` and the `/search` page on the links host. */
export async function linkSearchRoutes(app: MargFastify, parts: LinksParts): Promise<void> {
  const { ctx } = parts;
  app.get('/api/search', { schema: { querystring: LinkSearchQuery } }, async (request) => {
    // Every link is visible to links.links.read (the list's rule): the same permission gates search.
    const principal = await ctx.requirePermission(request, READ);
    return searchLinks(parts, request, principal, request.query);
  });

  app.get('/search', { schema: { querystring: Type.Object({ q: Type.Optional(SearchText), cursor: Type.Optional(Type.String({ maxLength: 64 })) }) } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, READ);
    const q = request.query.q ?? '';
    const { data, next } = await searchLinks(parts, request, principal, { q, cursor: request.query.cursor, limit: 50 });
    const results = data.map((l) => ({
      href: l.shortUrl,
      title: l.title ?? l.slug,
      titleHtml: l.title === null ? l.highlights.slug : l.highlights.title,
      snippetHtml: l.highlights.url ?? l.highlights.slug,
      meta: `/${l.slug} → ${l.url}`,
    }));
    const nextUrl = next ? `/search?${new URLSearchParams({ q, cursor: next })}` : null;
    return ctx.page(request, reply, { title: 'Search links', body: searchResultsPage('/search', q, results, nextUrl) });
  });
}
