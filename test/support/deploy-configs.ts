import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The repository's deploy/ folder: the tests start servers from the files operators install. */
export const DEPLOY_DIR = resolve(import.meta.dirname, '../../deploy');

/**
 * A deploy config file with some directives replaced: the small template step that lets a test
 * run the shipped redis.conf / sentinel.conf on private loopback ports and temp dirs. A key is
 * the directive's leading words (`port`, `sentinel monitor marg-redis`); its line is replaced
 * in place (so order-sensitive files such as sentinel.conf keep their order), or appended
 * when the file has none. Every other line is the shipped file's, unchanged.
 */
export function renderConfig(relativePath: string, overrides: Readonly<Record<string, string>>, target: string): string {
  const lines = readFileSync(resolve(DEPLOY_DIR, relativePath), 'utf8').split('\n');
  const used = new Set<string>();
  const rendered = lines.map((line) => {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) return line;
    const key = Object.keys(overrides).find((k) => trimmed === k || trimmed.startsWith(`${k} `));
    if (key === undefined) return line;
    used.add(key);
    return `${key} ${overrides[key]}`;
  });
  for (const [key, value] of Object.entries(overrides)) if (!used.has(key)) rendered.push(`${key} ${value}`);
  writeFileSync(target, `${rendered.join('\n')}\n`, { mode: 0o600 });
  return target;
}

/** The value of a directive in a shipped file (`maxmemory-policy` → `noeviction`); undefined when absent. */
export function directive(relativePath: string, key: string): string | undefined {
  for (const line of readFileSync(resolve(DEPLOY_DIR, relativePath), 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('#') && trimmed.startsWith(`${key} `)) return trimmed.slice(key.length + 1).trim();
  }
  return undefined;
}
