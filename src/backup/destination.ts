import type { Readable, Writable } from 'node:stream';

/**
 * Where backups are kept: a local folder (local-destination.ts) or an S3 bucket and prefix
 * (s3-destination.ts, `--to s3://bucket/prefix`); locations.ts picks one from what was typed.
 * A backup is a set of named files (parts, manifest.json, manifest.sha256) under its name.
 */
export interface BackupDestination {
  /** What the operator typed, for messages. */
  readonly location: string;
  /** The names of the complete backups here (unfinished ones are never listed). */
  list(): Promise<string[]>;
  /** Starts a backup: files are written under it and only appear in list() after commit(). */
  begin(name: string): Promise<BackupWriter>;
  open(name: string): BackupReader;
  remove(name: string): Promise<void>;
  /** Releases connections (an S3 client); the destination is not used after. */
  close(): Promise<void>;
}

export interface BackupWriter {
  create(file: string): Writable;
  commit(): Promise<void>;
  /** Removes what was written (a failed backup leaves nothing behind). */
  abort(): Promise<void>;
}

export interface BackupReader {
  readonly location: string;
  /** The file's size, or undefined when it is missing. */
  size(file: string): Promise<number | undefined>;
  read(file: string): Readable;
  /** A small file whole (the manifest), or undefined when missing. */
  readSmall(file: string): Promise<Buffer | undefined>;
}

/** Backup names carry their time, so that they sort by it: `marg-20261206T030000Z`. */
export function backupName(at: Date): string {
  return `marg-${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`;
}

const NAME = /^marg-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The time in a backup's name, or undefined when the name is not one Marg gives. */
export function backupTime(name: string): Date | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const at = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}
