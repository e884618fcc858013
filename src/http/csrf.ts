import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `'multipart-field'`: a page form posted as multipart/form-data carries `_csrf` in a field the
     * preHandler cannot see (the body is read by the handler, as a stream). The route's handler must
     * then call `verifyCsrfToken` with the field before it stores anything. Other bodies are checked as usual.
     */
    csrf?: 'multipart-field';
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF check for cookie-authenticated state changes: a request that carries a live
 * session must echo its token in `X-CSRF-Token` / `X-XSRF-TOKEN` or a `_csrf` form field.
 * A request without a session cookie holds no ambient authority, so it needs none.
 */
export async function verifyCsrf(request: FastifyRequest): Promise<void> {
  if (!needsCsrf(request)) return;
  const header = headerToken(request);
  // A multipart page form: its `_csrf` field is read by the handler (see FastifyContextConfig.csrf).
  if (header === undefined && request.routeOptions.config.csrf === 'multipart-field' && request.isMultipart?.()) return;
  const body = request.body;
  const fromForm = typeof body === 'object' && body !== null && '_csrf' in body ? (body as { _csrf: unknown })._csrf : undefined;
  verifyCsrfToken(request, header ?? (typeof fromForm === 'string' ? fromForm : undefined));
}

/** The check itself, for a handler that found the token in a multipart field: a 403 when it does not match. */
export function verifyCsrfToken(request: FastifyRequest, token: string | undefined): void {
  if (!needsCsrf(request)) return;
  if (!request.session!.verifyCsrf(token)) {
    throw new HttpError(403, 'csrf_token_mismatch', 'The CSRF token is missing or wrong: reload the page, or send the XSRF-TOKEN cookie back as X-CSRF-Token.');
  }
}

function needsCsrf(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method) && request.session !== null && request.session !== undefined && request.session.state !== 'new';
}

function headerToken(request: FastifyRequest): string | undefined {
  const header = request.headers['x-csrf-token'] ?? request.headers['x-xsrf-token'];
  return Array.isArray(header) ? header[0] : header;
}
