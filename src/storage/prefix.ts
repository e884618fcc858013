import { checkKey, InvalidStorageKeyError } from './validation.ts';

/**
 * A list prefix: '' (everything), a key, or a key with a trailing `/` (`tasks/1/`). It may end
 * inside a segment (`tasks/1` also lists `tasks/10/…`, as S3 does), but may not contain what a
 * key cannot (`..`, dot-segments, other characters).
 */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  if (typeof prefix !== 'string') throw new InvalidStorageKeyError('storage prefix: expected a string');
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
