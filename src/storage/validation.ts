/** A key or content type that no driver accepts: a programming error, reported at the call site. */
export class InvalidStorageKeyError extends Error {
  override name = 'InvalidStorageKeyError';
}

export class InvalidContentTypeError extends Error {
  override name = 'InvalidContentTypeError';
}

const KEY_CHARACTERS = /^[a-z0-9/_.-]+$/;
const MAX_KEY_LENGTH = 1024;
// Filesystems allow 255 bytes per name; the local driver adds a dot, a suffix and a random id around it.
const MAX_SEGMENT_LENGTH = 200;
// type/subtype with optional parameters, no control characters: it is sent back as a header.
const CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\\]*"|[a-z0-9!#$&^_.+-]+))*$/i;

/**
 * Returns the key when every driver can hold it safely; otherwise throws.
 * Rules: 1-1024 characters of `a-z 0-9 / _ . -`; no leading `/` (absolute), no empty segment
 * (`a//b`, `a/`); no segment that starts with a dot: that refuses `.` and `..` (traversal) and
 * keeps dot-names free for a driver's own files (the local driver's temp files and sidecars).
 */
export function checkKey(key: string): string {
  const refuse = (why: string): never => {
    throw new InvalidStorageKeyError(
      `storage key ${JSON.stringify(key).slice(0, 200)}: ${why}; use lowercase letters, digits and _ . - in segments joined by single "/"`,
    );
  };
  if (typeof key !== 'string' || key.length === 0) refuse('is empty');
  if (key.length > MAX_KEY_LENGTH) refuse(`is longer than ${MAX_KEY_LENGTH} characters`);
  if (!KEY_CHARACTERS.test(key)) refuse('has a character outside a-z 0-9 / _ . -');
  if (key.startsWith('/')) refuse('is absolute');
  for (const segment of key.split('/')) {
    if (segment === '') refuse('has an empty segment');
    if (segment === '..' || segment === '.') refuse(`has a "${segment}" segment`);
    if (segment.startsWith('.')) refuse('has a segment that starts with a dot');
    if (segment.length > MAX_SEGMENT_LENGTH) refuse(`has a segment longer than ${MAX_SEGMENT_LENGTH} characters`);
  }
  return key;
}

export function checkContentType(contentType: string): string {
  if (typeof contentType !== 'string' || contentType.length > 255 || !CONTENT_TYPE.test(contentType)) {
    throw new InvalidContentTypeError(`content type ${JSON.stringify(String(contentType)).slice(0, 100)}: expected a MIME type such as image/png`);
  }
  return contentType;
}
