import { unprocessable } from '../../src/http/errors.ts';
import type { LinkChanges } from './links-store.ts';
import { slugProblem } from './slugs.ts';

export const MAX_URL_LENGTH = 2048;
export const MAX_TITLE_LENGTH = 200;

/** What a client may send to create or change a link (types already checked by the route schema). */
export interface LinkInput {
  readonly url?: string | undefined;
  readonly slug?: string | undefined;
  readonly title?: string | null | undefined;
}

/**
 * Checks the fields that are present and returns them cleaned up (trimmed URL, empty title
 * as null); every problem at once as a 422 with `fields`. Uniqueness is the caller's job.
 */
export function checkLinkInput(input: LinkInput): LinkChanges {
  const fields: Record<string, string> = {};
  const changes: { -readonly [K in keyof LinkChanges]: LinkChanges[K] } = {};
  if (input.url !== undefined) {
    const url = cleanUrl(input.url);
    if (url.ok) changes.url = url.value;
    else fields.url = url.problem;
  }
  if (input.slug !== undefined) {
    const problem = slugProblem(input.slug);
    if (problem) fields.slug = problem;
    else changes.slug = input.slug;
  }
  if (input.title !== undefined) {
    const title = input.title?.trim() ?? '';
    if (title.length > MAX_TITLE_LENGTH) fields.title = `must be at most ${MAX_TITLE_LENGTH} characters`;
    else changes.title = title === '' ? null : title;
  }
  if (Object.keys(fields).length > 0) throw unprocessable('The link is not valid.', fields);
  return changes;
}

/**
 * An absolute http(s) URL. It is kept as typed when that is plain printable ASCII, else in
 * its percent-encoded form, so it is always safe to send back as a Location header.
 */
export function cleanUrl(raw: string): { ok: true; value: string } | { ok: false; problem: string } {
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, problem: 'is required' };
  const problem = 'must be an absolute http:// or https:// URL';
  if (!/^https?:\/\//i.test(trimmed)) return { ok: false, problem };
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return { ok: false, problem };
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') return { ok: false, problem };
  const value = /^[\x21-\x7e]+$/.test(trimmed) ? trimmed : parsed.href;
  if (value.length > MAX_URL_LENGTH) return { ok: false, problem: `must be at most ${MAX_URL_LENGTH} characters` };
  return { ok: true, value };
}
