import type { FastifyRequest } from 'fastify';
import { can, type Principal } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { forbidden, notFound } from '../../src/http/errors.ts';
import type { Link, LinksStore } from './links-store.ts';

export const READ = 'links.links.read';
export const CREATE = 'links.links.create';
export const UPDATE = 'links.links.update';
export const DELETE = 'links.links.delete';
export const MANAGE = 'links.links.manage';

/** Editors change their own links; `links.links.manage` changes anyone's. */
export function mayChange(principal: Principal, link: Link): boolean {
  return link.ownerId === principal.id || can(principal, MANAGE);
}

/**
 * The link a write is about, once the caller may make it: 401/403 without the permission,
 * 404 for an unknown id, 403 (audited like any denial) for someone else's link.
 */
export async function linkForChange(
  ctx: AppContext,
  request: FastifyRequest,
  store: LinksStore,
  id: number,
  permission: typeof UPDATE | typeof DELETE,
): Promise<{ principal: Principal; link: Link }> {
  const principal = await ctx.requirePermission(request, permission);
  const link = await store.find(id);
  if (!link) throw notFound('Link');
  if (!mayChange(principal, link)) {
    await ctx.services.audit.record('rbac.denied', {
      actorId: principal.id,
      subject: MANAGE,
      ip: request.ip,
      details: { method: request.method, path: request.originalUrl, linkId: link.id, ownerId: link.ownerId },
    });
    throw forbidden(MANAGE);
  }
  return { principal, link };
}
