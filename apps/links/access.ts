import type { FastifyRequest } from 'fastify';
import { can, type Principal } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { notFound } from '../../src/http/errors.ts';
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
  if (!mayChange(principal, link)) throw await ctx.deny(request, principal, MANAGE, { details: { linkId: link.id, ownerId: link.ownerId } });
  return { principal, link };
}
