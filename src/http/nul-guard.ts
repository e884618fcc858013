import type { FastifyRequest } from 'fastify';
import { badRequest } from './errors.ts';

/**
 * Refuses U+0000 anywhere in a request's text (body, query, path): PostgreSQL cannot store it
 * and other databases truncate at it, so it is bad input on every driver.
 */
export async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  for (const [part, value] of [
    ['body', request.body],
    ['query', request.query],
    ['params', request.params],
  ] as const) {
    const path = findNul(value, part);
    if (path) throw badRequest('Text may not contain the NUL character (U+0000).', { [path]: 'contains a NUL character' });
  }
}

function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null || depth > 32) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return path;
    const found = findNul(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}
