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

const ERROR_KEY = 'flash-error';

/** A one-time notice that something was refused (shown as an alert), e.g. a file the upload form could not take. */
export function setFlashError(ctx: AppContext, request: FastifyRequest, message: string): void {
  ctx.session(request).set(ERROR_KEY, message);
}

export function takeFlashError(request: FastifyRequest): string | undefined {
  const message = request.session?.get(ERROR_KEY);
  if (message === undefined) return undefined;
  request.session?.set(ERROR_KEY, undefined);
  return typeof message === 'string' ? message : undefined;
}
