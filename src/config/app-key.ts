import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateAppKey(): string {
  return `base64:${randomBytes(32).toString('base64')}`;
}

/**
 * Writes a fresh APP_KEY into `.env` (Laravel's `key:generate`), creating the file with
 * owner-only permissions. Returns the key. Never overwrites an existing key.
 */
export function writeAppKey(cwd: string): string {
  const path = join(cwd, '.env');
  const key = generateAppKey();
  if (!existsSync(path)) {
    writeFileSync(path, `# Written by marg. Keep it secret; never commit it.\nAPP_KEY=${key}\n`, { mode: 0o600 });
    return key;
  }
  const current = readFileSync(path, 'utf8');
  if (/^APP_KEY=.+$/m.test(current)) throw new Error(`${path} already has an APP_KEY; remove it first to rotate the key`);
  const cleared = current.replace(/^APP_KEY=\s*$/m, '');
  writeFileSync(path, `${cleared}${cleared.endsWith('\n') || cleared === '' ? '' : '\n'}APP_KEY=${key}\n`, { mode: 0o600 });
  return key;
}

export function decodeAppKey(appKey: string): Buffer {
  return Buffer.from(appKey.slice('base64:'.length), 'base64');
}
