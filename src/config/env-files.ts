import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

export type RawEnv = Record<string, string | undefined>;

/** One source of variables, named as a message to the user names it. */
export interface EnvLayer {
  readonly source: '.env.shared' | '.env' | 'the environment';
  readonly values: RawEnv;
}

/**
 * The environment's layers, in the order the guides merge them: `.env.shared` first, `.env`
 * over it, the real process environment over both. Within each layer, `X_FILE` supplies `X`
 * from a file (Docker/Kubernetes secrets) for every variable X that Marg reads, unless that
 * layer sets X itself; so a secret mounted in the real environment beats a key left in `.env`.
 * Other `*_FILE` variables belong to other programs and are left alone.
 */
export function readEnvironmentLayers(cwd: string, processEnv: RawEnv, known: ReadonlySet<string>): EnvLayer[] {
  return [
    { source: '.env.shared', values: withFileSecrets(parseFile(join(cwd, '.env.shared')), known) },
    { source: '.env', values: withFileSecrets(parseFile(join(cwd, '.env')), known) },
    { source: 'the environment', values: withFileSecrets(processEnv, known) },
  ];
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
