import type { FastifyRequest } from 'fastify';
import type { AppContext } from './app-context.ts';

// A one-time notice carried in the session across a POST-redirect-GET ("Task created.").
const KEY = 'flash';

export function setFlash(ctx: AppContext, request: FastifyRequest, message: string): void {
  ctx.session(request).set(KEY, message);
}

/** The pending notice, removed as it is read. */
export function takeFlash(request: FastifyRequest): string | undefined {
  const message = request.session?.get(KEY);
  if (message === undefined) return undefined;
  request.session?.set(KEY, undefined);
  return typeof message === 'string' ? message : undefined;
}
