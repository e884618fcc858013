import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The first-run administrator's credentials, kept in a file only the owner can read
 * (storage/first-run-credentials.txt, mode 0600) so they survive the terminal scrolling them
 * away; removed once that user has signed in.
 */
export function firstRunCredentialsPath(storagePath: string): string {
  return join(storagePath, 'first-run-credentials.txt');
}

export async function writeFirstRunCredentials(storagePath: string, admin: { email: string; password: string }, urls: readonly string[]): Promise<string> {
  const path = firstRunCredentialsPath(storagePath);
  // Removed first: `mode` applies only when the file is created.
  await rm(path, { force: true });
  const text = [
    'Marg first-run administrator (this file is removed after their first sign-in):',
    `email:    ${admin.email}`,
    `password: ${admin.password}`,
    '',
    ...urls,
    '',
  ].join('\n');
  await writeFile(path, text, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return path;
}

/** After a successful sign-in: the file goes when it names this user. Returns whether it was removed. */
export async function forgetFirstRunCredentials(storagePath: string, email: string): Promise<boolean> {
  const path = firstRunCredentialsPath(storagePath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return false;
  }
  if (!text.split('\n').some((line) => line === `email:    ${email}`)) return false;
  await rm(path, { force: true });
  return true;
}
