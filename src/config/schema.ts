import { Type, type Static } from '@sinclair/typebox';

const port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback });

/**
 * Every environment variable Marg reads, with its default. Names follow the Laravel
 * guides (DESIGN §4). Values arrive as strings and are converted before validation.
 */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  APP_KEY: Type.Optional(Type.String({ pattern: '^base64:[A-Za-z0-9+/]{43}=$', description: 'base64:<32 random bytes>; run `marg key:generate`' })),
  MARG_DOMAIN: Type.String({ default: 'marg.localhost', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' }),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: port(8080),
  STORAGE_PATH: Type.String({ default: 'storage', minLength: 1 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  HTTP_BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  SHUTDOWN_DRAIN_SECONDS: Type.Number({ minimum: 0, default: 0 }),

  SESSION_DRIVER: Type.Union([Type.Literal('sqlite'), Type.Literal('memory')], { default: 'sqlite' }),
  SESSION_LIFETIME: Type.Integer({ minimum: 1, default: 120, description: 'minutes' }),
  SESSION_DOMAIN: Type.Optional(Type.String({ minLength: 1 })),
  SESSION_COOKIE: Type.String({ default: 'marg_session', pattern: '^[A-Za-z0-9_.-]+$' }),
  SESSION_ENCRYPT: Type.Boolean({ default: true }),

  CACHE_STORE: Type.Union([Type.Literal('sqlite'), Type.Literal('memory')], { default: 'sqlite' }),
  CACHE_PREFIX: Type.String({ default: 'marg' }),
  CACHE_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 10_000 }),
  LOCK_STORE: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('memory')])),
  RATE_LIMIT_STORE: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('memory')])),

  DB_CONNECTION: Type.Union([Type.Literal('sqlite')], { default: 'sqlite' }),
  RBAC_CACHE_TTL: Type.Integer({ minimum: 0, default: 3600, description: 'seconds' }),

  SIGNIN_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 5 }),
  SIGNIN_LOCKOUT_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
});

export type Env = Static<typeof EnvSchema>;
