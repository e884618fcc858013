import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Principal } from '../../src/auth/rbac.ts';
import { CHART_ASSETS } from '../../src/http/chart-assets.ts';
import { HttpError, notFound } from '../../src/http/errors.ts';
import { setFlash, takeFlash } from '../../src/http/flash.ts';
import { IdParams } from '../../src/http/params.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { DELETE, linkForChange, mayChange, READ, UPDATE } from './access.ts';
import { clicksByDay } from './clicks.ts';
import { shortUrl } from './link-json.ts';
import { linkPage, type ChartRange, type LinkPageView } from './link-page-views.ts';
import type { Link } from './links-store.ts';
import type { LinksParts } from './parts.ts';
import { qrSvg } from './qr-code.ts';

const PageQuery = Type.Object({ days: Type.Optional(Type.Union([Type.Literal(30), Type.Literal(90)])) });
const EditForm = Type.Object(
  { url: Type.String(), slug: Type.String(), title: Type.Optional(Type.String()), _csrf: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

/**
 * A link's page (`/links/:id`; `links` is a reserved slug, so no short link shadows it): the short
 * URL with copy and QR, a clicks-per-day chart for 30 or 90 days, the edit form.
 */
export async function linkPageRoutes(app: MargFastify, parts: LinksParts): Promise<void> {
  const { ctx, store, service } = parts;

  app.get('/links/:id', { schema: { params: IdParams, querystring: PageQuery } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, READ);
    const link = await store.find(request.params.id);
    if (!link) throw notFound('Link');
    return render(request, reply, principal, link, { range: request.query.days ?? 30, flash: takeFlash(request) });
  });

  app.post('/links/:id', { schema: { params: IdParams, body: EditForm } }, async (request, reply) => {
    const { principal, link } = await linkForChange(ctx, request, store, request.params.id, UPDATE);
    const { url, slug, title = '' } = request.body;
    try {
      await service.update(link, { url, slug: slug.trim(), title });
    } catch (error) {
      if (!(error instanceof HttpError) || (error.statusCode !== 422 && error.statusCode !== 409)) throw error;
      const form = { values: { url, slug, title }, error: error.message, fields: error.fields ?? {} };
      return render(request, reply, principal, link, { range: 30, form, status: error.statusCode });
    }
    setFlash(ctx, request, 'Saved.');
    return reply.redirect(`/links/${link.id}`, 303);
  });

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    link: Link,
    state: { range: ChartRange; flash?: string | undefined; form?: LinkPageView['form']; status?: number },
  ): Promise<FastifyReply> {
    const url = shortUrl(ctx, request, link.slug);
    const [counts, owner, qr] = await Promise.all([clicksByDay(parts.connection, link.id, state.range), ctx.services.users.find(link.ownerId), qrSvg(url)]);
    const body = linkPage({
      link,
      shortUrl: url,
      qrSvg: qr,
      ownerName: link.ownerId === principal.id ? 'you' : (owner?.name ?? `deleted user #${link.ownerId}`),
      days: everyDay(counts, state.range),
      range: state.range,
      csrf: ctx.session(request).csrfToken,
      mayUpdate: can(principal, UPDATE) && mayChange(principal, link),
      mayDelete: can(principal, DELETE) && mayChange(principal, link),
      flash: state.flash,
      form: state.form,
    });
    return ctx.page(request, reply, { title: link.title ?? link.slug, body, assets: CHART_ASSETS, ...(state.status ? { status: state.status } : {}) });
  }
}

/** The last `days` days (UTC), oldest first, with 0 for a day without clicks. */
export function everyDay(counts: readonly { day: string; clicks: number }[], days: number, now = Date.now()): { day: string; clicks: number }[] {
  const byDay = new Map(counts.map((c) => [c.day, c.clicks]));
  const out: { day: string; clicks: number }[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(now - i * 86_400_000).toISOString().slice(0, 10);
    out.push({ day, clicks: byDay.get(day) ?? 0 });
  }
  return out;
}
