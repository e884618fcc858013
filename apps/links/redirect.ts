import { Type } from '@sinclair/typebox';
import { notFound } from '../../src/http/errors.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import type { LinksParts } from './parts.ts';
import { SLUG_PATTERN } from './slugs.ts';

const SlugParams = Type.Object({ slug: Type.String() });

/**
 * The public redirect `GET /:slug` (no sign-in). The router prefers static paths (`/`,
 * `/api/...`) over parameters, so those always win over a slug.
 */
export async function redirectRoutes(app: MargFastify, parts: LinksParts): Promise<void> {
  const { slugs, clicks } = parts;
  // A graceful stop queues the clicks still in memory.
  app.addHook('onClose', () => clicks.flush());

  app.get('/:slug', { schema: { params: SlugParams } }, async (request, reply) => {
    const { slug } = request.params;
    const target = SLUG_PATTERN.test(slug) ? await slugs.target(slug) : undefined;
    if (!target) throw notFound('Short link');
    // HEAD (link checkers, unfurlers) answers the same but is not a visit.
    if (request.method === 'GET') clicks.record(target.id);
    return reply.header('cache-control', 'private, no-store').redirect(target.url, 302);
  });
}
