import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF check for cookie-authenticated state changes: a request that carries a live
 * session must echo its token in `X-CSRF-Token` / `X-XSRF-TOKEN` or a `_csrf` form field.
 * A request without a session cookie holds no ambient authority, so it needs none.
 */
export async function verifyCsrf(request: FastifyRequest): Promise<void> {
  if (SAFE_METHODS.has(request.method) || !request.session || request.session.state === 'new') return;
  const header = request.headers['x-csrf-token'] ?? request.headers['x-xsrf-token'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const body = request.body;
  const fromForm = typeof body === 'object' && body !== null && '_csrf' in body ? (body as { _csrf: unknown })._csrf : undefined;
  const token = fromHeader ?? (typeof fromForm === 'string' ? fromForm : undefined);
  if (!request.session.verifyCsrf(token)) {
    throw new HttpError(403, 'csrf_token_mismatch', 'The CSRF token is missing or wrong: reload the page, or send the XSRF-TOKEN cookie back as X-CSRF-Token.');
  }
}
