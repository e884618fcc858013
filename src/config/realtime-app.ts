import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type RealtimeApp = Record<'REVERB_APP_ID' | 'REVERB_APP_KEY' | 'REVERB_APP_SECRET', string>;

/** A fresh Pusher app: an id, a key and a secret. */
export function generateRealtimeApp(): RealtimeApp {
  return { REVERB_APP_ID: String(randomInt(100_000, 999_999)), REVERB_APP_KEY: randomBytes(10).toString('hex'), REVERB_APP_SECRET: randomBytes(20).toString('hex') };
}

/**
 * Writes a Pusher app (REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET) into `.env`,
 * as `writeAppKey` does for APP_KEY. Never overwrites: a file that already has one of them is an error.
 */
export function writeRealtimeApp(cwd: string, app: RealtimeApp = generateRealtimeApp()): void {
  const path = join(cwd, '.env');
  const lines = Object.entries(app).map(([name, value]) => `${name}=${value}`);
  if (!existsSync(path)) {
    writeFileSync(path, `# Written by marg. Keep it secret; never commit it.\n${lines.join('\n')}\n`, { mode: 0o600 });
    return;
  }
  const current = readFileSync(path, 'utf8');
  if (/^REVERB_APP_(ID|KEY|SECRET)=.+$/m.test(current)) throw new Error(`${path} already sets part of REVERB_APP_ID/KEY/SECRET; set all three or remove them`);
  const cleared = current.replace(/^REVERB_APP_(ID|KEY|SECRET)=\s*$/gm, '');
  writeFileSync(path, `${cleared}${cleared.endsWith('\n') || cleared === '' ? '' : '\n'}${lines.join('\n')}\n`, { mode: 0o600 });
}

/** A `.env` that cannot be written: a read-only root filesystem (containers), or not ours. */
export function isUnwritable(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}
