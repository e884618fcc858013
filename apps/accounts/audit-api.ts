import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import { decodeCursor, page, PageQuery } from '../../src/http/pagination.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';

export const AuditQuery = Type.Object({
  ...PageQuery.properties,
  event: Type.Optional(Type.String({ maxLength: 64 })),
});

/** GET /api/audit: the audit log, newest first, optionally one event (`?event=auth.signin_failed`). */
export async function auditApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.get('/api/audit', { schema: { querystring: AuditQuery } }, async (request) => {
    await ctx.requirePermission(request, 'accounts.audit.read');
    const { limit, cursor, event } = request.query;
    const rows = await ctx.services.audit.list(limit + 1, { before: decodeCursor(cursor), event: event || undefined });
    return page(rows, limit, (entry) => entry);
  });
}
