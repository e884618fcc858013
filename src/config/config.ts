import { isAbsolute, join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { EnvSchema, type Env } from './schema.ts';
import { ConfigError, readEnvironment, type RawEnv } from './env-files.ts';

export type DatabaseName = 'accounts' | 'flow' | 'links' | 'rbac';
export const DATABASE_NAMES: readonly DatabaseName[] = ['accounts', 'flow', 'links', 'rbac'];

export interface SqliteDatabaseConfig {
  readonly connection: 'sqlite';
  readonly file: string;
}
export type DatabaseConfig = SqliteDatabaseConfig;

/** The one typed configuration object every part of Marg is built from. */
export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly appKey: string | undefined;
  readonly cwd: string;
  readonly storagePath: string;
  readonly domain: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly http: { readonly bodyLimit: number; readonly drainSeconds: number };
  readonly session: {
    readonly driver: Env['SESSION_DRIVER'];
    readonly lifetimeSeconds: number;
    readonly domain: string;
    readonly cookie: string;
    readonly encrypt: boolean;
  };
  readonly cache: { readonly store: Env['CACHE_STORE']; readonly prefix: string; readonly maxEntries: number };
  readonly lockStore: Env['CACHE_STORE'];
  readonly rateLimitStore: Env['CACHE_STORE'];
  readonly databases: Readonly<Record<DatabaseName, DatabaseConfig>>;
  readonly rbacCacheTtl: number;
  readonly signin: { readonly maxAttempts: number; readonly lockoutSeconds: number };
  /** The merged raw environment, for drivers that read their own optional variables. */
  readonly raw: RawEnv;
}

export interface LoadConfigOptions {
  cwd?: string;
  env?: RawEnv;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const raw = readEnvironment(cwd, options.env ?? process.env, new Set(Object.keys(EnvSchema.properties)));
  return buildConfig(cwd, raw);
}

export function buildConfig(cwd: string, raw: RawEnv): Config {
  const env = parseEnv(raw);
  const storagePath = isAbsolute(env.STORAGE_PATH) ? env.STORAGE_PATH : resolve(cwd, env.STORAGE_PATH);
  const databases = Object.fromEntries(
    DATABASE_NAMES.map((name) => [name, { connection: env.DB_CONNECTION, file: join(storagePath, 'database', `${name}.sqlite`) }]),
  ) as Record<DatabaseName, DatabaseConfig>;
  return {
    env: env.NODE_ENV,
    appKey: env.APP_KEY,
    cwd,
    storagePath,
    domain: env.MARG_DOMAIN,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    http: { bodyLimit: env.HTTP_BODY_LIMIT, drainSeconds: env.SHUTDOWN_DRAIN_SECONDS },
    session: {
      driver: env.SESSION_DRIVER,
      lifetimeSeconds: env.SESSION_LIFETIME * 60,
      domain: env.SESSION_DOMAIN ?? `.${env.MARG_DOMAIN}`,
      cookie: env.SESSION_COOKIE,
      encrypt: env.SESSION_ENCRYPT,
    },
    cache: { store: env.CACHE_STORE, prefix: env.CACHE_PREFIX, maxEntries: env.CACHE_MAX_ENTRIES },
    lockStore: env.LOCK_STORE ?? env.CACHE_STORE,
    rateLimitStore: env.RATE_LIMIT_STORE ?? env.CACHE_STORE,
    databases,
    rbacCacheTtl: env.RBAC_CACHE_TTL,
    signin: { maxAttempts: env.SIGNIN_MAX_ATTEMPTS, lockoutSeconds: env.SIGNIN_LOCKOUT_SECONDS },
    raw,
  };
}

const PLAIN_NUMBER: Readonly<Record<string, RegExp>> = { integer: /^-?\d+$/, number: /^-?\d+(\.\d+)?$/ };

/** Validates the variables Marg knows; every problem names its variable. */
function parseEnv(raw: RawEnv): Env {
  const known = Object.keys(EnvSchema.properties);
  // Empty strings mean "unset", as in Laravel's .env files.
  const picked = Object.fromEntries(known.filter((k) => raw[k] !== undefined && raw[k] !== '').map((k) => [k, raw[k]]));
  // Default and Convert mutate their input: work on a copy so `picked` keeps what was given.
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...picked })) as Record<string, unknown>;
  // Convert is loose ('8080.9' → 8080, '1e3' → 1, 'true' → 1): a number must be written plainly, or it is reported.
  for (const [name, schema] of Object.entries(EnvSchema.properties)) {
    const plain = PLAIN_NUMBER[(schema as { type?: string }).type ?? ''];
    const given = picked[name];
    if (plain && given !== undefined && !plain.test(given)) value[name] = given;
  }
  const problems = [...Value.Errors(EnvSchema, value)].map((e) => {
    const name = e.path.replace(/^\//, '');
    const given = picked[name];
    const message = describeProblem(e.schema, e.message);
    // A secret's value is never echoed back.
    const shown = given === undefined || /KEY|PASSWORD|SECRET/.test(name) ? '' : ` (got ${JSON.stringify(given)})`;
    return `${name}: ${message}${shown}`;
  });
  if (problems.length > 0) throw new ConfigError(dedupe(problems));
  return value as Env;
}

function describeProblem(schema: { anyOf?: { const?: unknown }[]; pattern?: string; description?: string }, message: string): string {
  if (schema.anyOf?.every((s) => s.const !== undefined)) return `must be one of ${schema.anyOf.map((s) => String(s.const)).join(', ')}`;
  const text = schema.pattern === undefined ? message.charAt(0).toLowerCase() + message.slice(1) : 'has the wrong format';
  return schema.description ? `${text} (${schema.description})` : text;
}

function dedupe(lines: string[]): string[] {
  const seen = new Set<string>();
  return lines.filter((l) => {
    const name = l.split(':')[0]!;
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}
