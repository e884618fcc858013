import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config/config.ts';
import type { BackupDestination, BackupReader } from './destination.ts';
import { LocalDestination, LocalReader } from './local-destination.ts';
import { S3Destination, type S3DestinationOptions } from './s3-destination.ts';
import { BadS3UrlError, isS3Url, parseS3Url } from './s3-url.ts';

/** A backup location the operator typed that cannot be used (a bad s3:// URL, no AWS_DEFAULT_REGION). */
export class BackupLocationError extends Error {
  override name = 'BackupLocationError';
}

/**
 * The destination for `--to` (a folder, relative to the project, or s3://bucket/prefix), or
 * BACKUP_PATH when it is not given. Close it after use.
 */
export function backupDestination(config: Config, to: string | undefined, options: S3DestinationOptions = {}): BackupDestination {
  const location = to ?? config.backup.path;
  if (!isS3Url(location)) return new LocalDestination(location.startsWith('/') ? location : join(config.cwd, location));
  let where;
  try {
    where = parseS3Url(location);
  } catch (error) {
    if (error instanceof BadS3UrlError) throw new BackupLocationError(`backup location ${error.message}`);
    throw error;
  }
  const region = config.backup.s3.region;
  if (region === undefined) throw new BackupLocationError(`a backup to ${location} needs AWS_DEFAULT_REGION (us-east-1 for MinIO, auto for R2), with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, off AWS, AWS_ENDPOINT and AWS_USE_PATH_STYLE_ENDPOINT`);
  return new S3Destination(where, { ...config.backup.s3, region }, options);
}

/**
 * `marg restore BACKUP`: a backup folder, an s3://bucket/prefix/marg-… URL, or the name of a
 * backup in BACKUP_PATH (a folder or an S3 location). Close `destination` after use.
 */
export function backupToRead(config: Config, backup: string): { reader: BackupReader; destination: BackupDestination | undefined } {
  if (isS3Url(backup)) {
    const trimmed = backup.replace(/\/+$/, '');
    const name = trimmed.slice(trimmed.lastIndexOf('/') + 1);
    if (trimmed.indexOf('/', 's3://'.length) < 0) throw new BackupLocationError(`${backup}: expected s3://bucket/prefix/marg-YYYYMMDDTHHMMSSZ (see \`marg backup:list --to s3://bucket/prefix\`)`);
    const destination = backupDestination(config, trimmed.slice(0, trimmed.length - name.length));
    return { reader: destination.open(name), destination };
  }
  const bare = !backup.includes('/') && !existsSync(join(config.cwd, backup));
  if (bare && isS3Url(config.backup.path)) {
    const destination = backupDestination(config, undefined);
    return { reader: destination.open(backup), destination };
  }
  if (bare) return { reader: new LocalReader(join(config.backup.path, backup)), destination: undefined };
  const path = backup.startsWith('/') ? backup : resolve(config.cwd, backup);
  return { reader: new LocalReader(path), destination: undefined };
}
