import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

export type RawEnv = Record<string, string | undefined>;

/**
 * Merges the environment the way the guides do: `.env.shared` first, `.env` over it,
 * the real process environment over both. Within each layer, `X_FILE` supplies `X` from a
 * file (Docker/Kubernetes secrets) for every variable X that Marg reads, unless that layer
 * sets X itself; so a secret mounted in the real environment beats a key left in `.env`.
 * Other `*_FILE` variables belong to other programs and are left alone.
 */
export function readEnvironment(cwd: string, processEnv: RawEnv, known: ReadonlySet<string>): RawEnv {
  const layers = [parseFile(join(cwd, '.env.shared')), parseFile(join(cwd, '.env')), processEnv];
  return Object.assign({}, ...layers.map((layer) => withFileSecrets(layer, known))) as RawEnv;
}

function withFileSecrets(layer: RawEnv, known: ReadonlySet<string>): RawEnv {
  const resolved: RawEnv = { ...layer };
  for (const [name, path] of Object.entries(layer)) {
    if (!name.endsWith('_FILE') || path === undefined || path === '') continue;
    const target = name.slice(0, -'_FILE'.length);
    if (!known.has(target) || (layer[target] !== undefined && layer[target] !== '')) continue;
    try {
      resolved[target] = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      throw new ConfigError([`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
    }
  }
  return resolved;
}

function parseFile(path: string): RawEnv {
  return existsSync(path) ? parse(readFileSync(path)) : {};
}

/** A startup error that names every bad variable; the CLI prints it without a stack. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
