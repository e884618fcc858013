import { randomInt } from 'node:crypto';

export const SLUG_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const GENERATED_SLUG_LENGTH = 7;
const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

// Paths the links host serves (or browsers ask for) that a short link must never shadow.
const RESERVED = new Set([
  'api',
  'assets',
  'health',
  'signin',
  'signout',
  'login',
  'logout',
  'links',
  'new',
  'edit',
  'admin',
  'static',
  'me',
  'search',
  'favicon.ico',
  'robots.txt',
]);

export function isReservedSlug(slug: string): boolean {
  return RESERVED.has(slug.toLowerCase());
}

/** Why a slug cannot be used, or undefined when it can (uniqueness is checked against the database). */
export function slugProblem(slug: string): string | undefined {
  if (slug.length < 1 || slug.length > 64) return 'must be 1 to 64 characters long';
  if (!SLUG_PATTERN.test(slug)) return 'may only contain letters, digits, "-" and "_"';
  if (isReservedSlug(slug)) return 'is reserved';
  return undefined;
}

/** A random base62 slug from the CSPRNG (unbiased: randomInt rejects out-of-range draws). */
export function generateSlug(): string {
  let slug = '';
  for (let i = 0; i < GENERATED_SLUG_LENGTH; i++) slug += BASE62[randomInt(BASE62.length)];
  return isReservedSlug(slug) ? generateSlug() : slug;
}
