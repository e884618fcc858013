/** `s3://bucket/prefix`: where backups go on S3 (`marg backup --to`, BACKUP_PATH). */
export interface S3Location {
  readonly bucket: string;
  /** '' or a key prefix ending in '/': backups are `<prefix><name>/<file>`. */
  readonly prefix: string;
}

export class BadS3UrlError extends Error {
  override name = 'BadS3UrlError';
}

// The schema's AWS_BUCKET rule (S3's bucket names: lowercase, which s3rver and MinIO enforce too).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// S3's "safe" key characters: no segment needs escaping on any server or filesystem-backed store.
const SEGMENT = /^[A-Za-z0-9_.-]+$/;

export function isS3Url(location: string): boolean {
  return location.startsWith('s3://');
}

/** Parses and checks an s3:// URL; throws BadS3UrlError saying what is wrong. */
export function parseS3Url(url: string): S3Location {
  const refuse = (why: string): never => {
    throw new BadS3UrlError(`${JSON.stringify(url).slice(0, 200)}: ${why} (expected s3://bucket or s3://bucket/some/prefix)`);
  };
  if (!isS3Url(url)) refuse('does not start with s3://');
  const [bucket = '', ...segments] = url.slice('s3://'.length).split('/');
  if (!BUCKET.test(bucket)) refuse(`"${bucket}" is not an S3 bucket name (3-63 of a-z 0-9 . -)`);
  if (segments.at(-1) === '') segments.pop(); // one trailing slash is allowed
  for (const segment of segments) {
    if (segment === '') refuse('has an empty path segment');
    if (segment === '.' || segment === '..') refuse(`has a "${segment}" segment`);
    if (!SEGMENT.test(segment)) refuse(`path segment "${segment}" has a character outside A-Z a-z 0-9 _ . -`);
  }
  return { bucket, prefix: segments.length === 0 ? '' : `${segments.join('/')}/` };
}

export function formatS3Url(location: S3Location): string {
  return `s3://${location.bucket}/${location.prefix}`;
}
