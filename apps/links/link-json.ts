import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../src/http/app-context.ts';
import type { Link } from './links-store.ts';

/** The public address of a short link, on the links host this request came in on. */
export function shortUrl(ctx: AppContext, request: FastifyRequest, slug: string): string {
  return ctx.url(request, 'links', `/${slug}`);
}

/** A link as the API returns it (DESIGN §4). */
export function linkJson(ctx: AppContext, request: FastifyRequest, link: Link) {
  return {
    id: link.id,
    slug: link.slug,
    url: link.url,
    title: link.title,
    ownerId: link.ownerId,
    clicks: link.clicks,
    shortUrl: shortUrl(ctx, request, link.slug),
    createdAt: link.createdAt,
    updatedAt: link.updatedAt,
  };
}
