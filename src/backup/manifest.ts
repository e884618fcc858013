import { createHash, createHmac } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { keyCheck } from './crypto.ts';

/** The manifest's file name in a backup, and the file holding its checksum (or HMAC when encrypted). */
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_SEAL_FILE = 'manifest.sha256';
export const MANIFEST_FORMAT = 1;

const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const PartName = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,120}$' });

const PartRecord = Type.Object({
  name: PartName,
  kind: Type.Union([Type.Literal('database'), Type.Literal('storage'), Type.Literal('redis')]),
  /** Bytes as stored (compressed, encrypted). */
  size: Type.Integer({ minimum: 0 }),
  /** Bytes before compression. */
  rawSize: Type.Integer({ minimum: 0 }),
  sha256: Sha256,
});

const DatabaseRecord = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }),
  driver: Type.Union([Type.Literal('sqlite'), Type.Literal('mysql'), Type.Literal('pgsql')]),
  part: PartName,
  /** Names of the migrations that had run, in order: the schema version the restore leaves. */
  migrations: Type.Array(Type.String()),
});

export const ManifestSchema = Type.Object({
  format: Type.Literal(MANIFEST_FORMAT),
  name: Type.String({ pattern: '^marg-\\d{8}T\\d{6}Z$' }),
  createdAt: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' }),
  marg: Type.Object({ version: Type.String(), node: Type.String() }),
  drivers: Type.Object({ storage: Type.String(), queue: Type.String() }),
  encryption: Type.Union([Type.Null(), Type.Object({ algorithm: Type.Literal('aes-256-gcm'), keyCheck: Type.String({ pattern: '^[0-9a-f]{32}$' }) })]),
  databases: Type.Array(DatabaseRecord),
  parts: Type.Array(PartRecord),
  durationMs: Type.Integer({ minimum: 0 }),
});

export type Manifest = Static<typeof ManifestSchema>;
export type PartInfo = Static<typeof PartRecord>;
export type DatabaseInfo = Static<typeof DatabaseRecord>;

/** Thrown when a backup cannot be trusted: names the part (or the manifest) at fault. */
export class CorruptBackupError extends Error {
  override name = 'CorruptBackupError';
  constructor(readonly part: string, detail: string) {
    super(`backup part "${part}" ${detail}`);
  }
}

export function serializeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * The manifest's seal: its SHA-256, or an HMAC under the backup key when encrypted, so that
 * only a holder of the key can forge a manifest of an encrypted backup.
 */
export function sealManifest(bytes: Buffer, key: Buffer | undefined): string {
  const digest = key ? createHmac('sha256', key).update(bytes).digest('hex') : createHash('sha256').update(bytes).digest('hex');
  return `${key ? 'hmac-sha256' : 'sha256'}:${digest}\n`;
}

/** Checks the seal, then the shape; throws CorruptBackupError naming manifest.json. */
export function parseManifest(bytes: Buffer, seal: string | undefined, key: Buffer | undefined): Manifest {
  if (seal === undefined) throw new CorruptBackupError(MANIFEST_SEAL_FILE, 'is missing');
  const encrypted = seal.startsWith('hmac-sha256:');
  if (encrypted && !key) throw new KeyRequiredError('this backup is encrypted: give its key with --encrypt-key-file');
  if (encrypted && key && declaredKeyCheck(bytes) !== keyCheck(key)) throw new KeyRequiredError('the key given is not the one this backup was encrypted with');
  if (seal.trim() !== sealManifest(bytes, encrypted ? key : undefined).trim()) {
    throw new CorruptBackupError(MANIFEST_FILE, encrypted ? 'does not match its seal (tampered, or not the key this backup was made with)' : 'does not match its checksum in manifest.sha256 (changed or damaged)');
  }
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new CorruptBackupError(MANIFEST_FILE, 'is not valid JSON');
  }
  if (!Value.Check(ManifestSchema, data)) {
    const first = [...Value.Errors(ManifestSchema, data)][0];
    throw new CorruptBackupError(MANIFEST_FILE, `is not a Marg backup manifest (${first ? `${first.path}: ${first.message}` : 'bad shape'})`);
  }
  return data;
}

/** The key fingerprint the (not yet trusted) manifest declares: only to tell a wrong key from a tampered manifest. */
function declaredKeyCheck(bytes: Buffer): string | undefined {
  try {
    const data = JSON.parse(bytes.toString('utf8')) as { encryption?: { keyCheck?: unknown } };
    return typeof data.encryption?.keyCheck === 'string' ? data.encryption.keyCheck : undefined;
  } catch {
    return undefined;
  }
}

/** A backup needs a key it was not given, or was given the wrong one. */
export class KeyRequiredError extends Error {
  override name = 'KeyRequiredError';
}
