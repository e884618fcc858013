import { Type, type Static, type TSchema } from '@sinclair/typebox';

const port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65535, default: fallback });

const HOST_LIST = '^\\s*[^,:\\s]+(:\\d{1,5})?\\s*(,\\s*[^,:\\s]+(:\\d{1,5})?\\s*)*$';
const DB_NAME = '^[A-Za-z0-9_$-]{1,64}$';
const DB_DRIVERS = ['sqlite', 'mysql', 'mariadb', 'pgsql'] as const;
const DB_DRIVER_SCHEMA = Type.Union(DB_DRIVERS.map((d) => Type.Literal(d)), { default: 'sqlite' });

/** DB_HOST … DB_READ_HOSTS: how to reach a database server (defaults per driver are applied in config.ts). */
function databaseVariables(prefix: string): Record<string, TSchema> {
  return {
    [`${prefix}HOST`]: Type.Optional(Type.String({ minLength: 1 })),
    [`${prefix}PORT`]: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    [`${prefix}USERNAME`]: Type.Optional(Type.String({ minLength: 1 })),
    [`${prefix}PASSWORD`]: Type.Optional(Type.String()),
    [`${prefix}READ_HOSTS`]: Type.Optional(Type.String({ pattern: HOST_LIST, description: 'host[:port],host[:port]' })),
  };
}

/** `RBAC_DB_*` (as in the guides), `FLOW_DB_*` …: one database on another driver or server than DB_*. */
function perDatabase(prefix: string): Record<string, TSchema> {
  return {
    [`${prefix}DB_DRIVER`]: Type.Optional(Type.Union(DB_DRIVERS.map((d) => Type.Literal(d)))),
    [`${prefix}DB_DATABASE`]: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'a database name, or a file path for sqlite' })),
    ...databaseVariables(`${prefix}DB_`),
  };
}

/**
 * Every environment variable Marg reads, with its default, but the per-database ones (see
 * envSchema). Names follow the Laravel guides (DESIGN §4). Values arrive as strings and are
 * converted before validation.
 */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], { default: 'development' }),
  APP_KEY: Type.Optional(Type.String({ pattern: '^base64:[A-Za-z0-9+/]{43}=$', description: 'base64:<32 random bytes>; run `marg key:generate`' })),
  MARG_DOMAIN: Type.String({ default: 'marg.localhost', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$' }),
  MARG_HOST_ALIASES: Type.Optional(Type.String({ description: 'more host names this server answers on (comma separated, e.g. the bare IP); they get the page listing the app hosts, every other Host but the app hosts and MARG_DOMAIN is refused (400)' })),
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: port(8080),
  STORAGE_PATH: Type.String({ default: 'storage', minLength: 1 }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  HTTP_BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  SHUTDOWN_DRAIN_SECONDS: Type.Number({ minimum: 0, default: 0 }),
  // Every core (issue 19): `marg serve` forks this many web processes sharing one port (node:cluster).
  WEB_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 256, description: 'web processes `marg serve` runs on this node; default: one per core; 1: a single process' })),
  // Operations (issue 5): request limits and proxies, read by src/http/rate-limit.ts and src/config/trusted-proxies.ts.
  API_RATE_LIMIT: Type.Integer({ minimum: 0, default: 100, description: "requests per minute per user (per client IP when signed out) on each app's /api; 0 = off" }),
  SIGNIN_RATE_LIMIT: Type.Integer({ minimum: 0, default: 10, description: 'sign-in attempts per minute per client IP; 0 = off' }),
  TRUSTED_PROXIES: Type.Optional(Type.String({ description: 'IPs or CIDRs of the proxies whose X-Forwarded-For/-Proto are believed, comma separated' })),
  // Metrics (issue 5): GET /metrics on an internal port of its own (src/observability/metrics-server.ts); unset = not served.
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'port for GET /metrics; 0 picks a free one; unset: off' })),
  METRICS_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),

  // Scale out (issue 6): the name a web node gives in its X-Marg-Node header; `marg cluster` sets web-1, web-2, …
  MARG_NODE_NAME: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$', description: '1-64 of A-Z a-z 0-9 . _ : -; default <hostname>:<pid>' })),
  MARG_NODE_HEADER: Type.Boolean({ default: false, description: 'send X-Marg-Node: <MARG_NODE_NAME> on every response (needs MARG_NODE_NAME); for clusters, `marg cluster` turns it on' }),

  SESSION_DRIVER: Type.Union([Type.Literal('sqlite'), Type.Literal('memory'), Type.Literal('redis')], { default: 'sqlite' }),
  SESSION_LIFETIME: Type.Integer({ minimum: 1, default: 120, description: 'minutes' }),
  SESSION_DOMAIN: Type.Optional(Type.String({ minLength: 1 })),
  SESSION_COOKIE: Type.String({ default: 'marg_session', pattern: '^[A-Za-z0-9_.-]+$' }),
  SESSION_ENCRYPT: Type.Boolean({ default: true }),

  CACHE_STORE: Type.Union([Type.Literal('sqlite'), Type.Literal('memory'), Type.Literal('redis')], { default: 'sqlite' }),
  CACHE_PREFIX: Type.String({ default: 'marg' }),
  CACHE_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 10_000 }),
  LOCK_STORE: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('memory'), Type.Literal('redis')])),
  RATE_LIMIT_STORE: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('memory'), Type.Literal('redis')])),

  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'redis://[user:password@]host:port/db' })),
  REDIS_HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  REDIS_PORT: port(6379),
  REDIS_USERNAME: Type.Optional(Type.String()),
  REDIS_PASSWORD: Type.Optional(Type.String()),
  REDIS_DB: Type.Integer({ minimum: 0, maximum: 255, default: 0 }),
  REDIS_PREFIX: Type.String({ default: 'marg_database_', pattern: '^[A-Za-z0-9_.:-]*$' }),
  REDIS_SENTINELS: Type.Optional(Type.String({ pattern: HOST_LIST, description: 'host:port,host:port' })),
  REDIS_SENTINEL_SERVICE: Type.String({ default: 'mymaster', minLength: 1 }),
  REDIS_SENTINEL_PASSWORD: Type.Optional(Type.String()),

  DB_CONNECTION: DB_DRIVER_SCHEMA,
  ...databaseVariables('DB_'),
  DB_DATABASE: Type.String({ default: 'marg', pattern: DB_NAME, description: 'name stem: each database is <stem>_<name>, e.g. marg_rbac' }),
  DB_POOL_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
  DB_STICKY_SECONDS: Type.Number({ minimum: 0, default: 5, description: 'seconds reads stay on the primary after a write' }),
  DB_REPLICA_RETRY_SECONDS: Type.Number({ minimum: 0, default: 10, description: 'seconds a failed replica is left out' }),
  DB_REPLICA_MAX_LAG: Type.Optional(Type.Number({ minimum: 0, description: 'seconds a read replica may lag behind the primary before reads skip it (unset: never skipped for lag)' })),
  RBAC_CACHE_TTL: Type.Integer({ minimum: 0, default: 3600, description: 'seconds' }),

  QUEUE_CONNECTION: Type.Union([Type.Literal('database'), Type.Literal('redis')], { default: 'database' }),
  QUEUE_RETRY_AFTER: Type.Integer({ minimum: 1, default: 90, description: 'seconds a reservation lasts before a dead worker\'s job is delivered again' }),
  QUEUE_BACKLOG_THRESHOLD: Type.Integer({ minimum: 1, default: 1000, description: 'jobs waiting before /health reports queue "backlog"' }),
  QUEUE_FAILED_RETENTION_DAYS: Type.Integer({ minimum: 1, default: 7, description: 'days failed jobs are kept before the scheduler prunes them' }),
  QUEUE_REDIS_WAIT_REPLICAS: Type.Integer({ minimum: 0, maximum: 16, default: 0, description: 'Redis queue: a dispatch is acknowledged once this many replicas hold it (WAIT); 0 = on the primary only' }),
  QUEUE_REDIS_WAIT_TIMEOUT: Type.Integer({ minimum: 1, maximum: 60_000, default: 1000, description: 'milliseconds a dispatch waits for QUEUE_REDIS_WAIT_REPLICAS before it fails' }),

  MAIL_MAILER: Type.Optional(Type.Union([Type.Literal('log'), Type.Literal('smtp')], { description: 'default: smtp when MAIL_HOST is set, else log' })),
  MAIL_HOST: Type.Optional(Type.String({ minLength: 1 })),
  MAIL_PORT: port(587),
  MAIL_USERNAME: Type.Optional(Type.String()),
  MAIL_PASSWORD: Type.Optional(Type.String()),
  MAIL_ENCRYPTION: Type.Union([Type.Literal('tls'), Type.Literal('starttls'), Type.Literal('none')], { default: 'starttls', description: 'tls: TLS from the start (port 465); starttls: upgrade when offered' }),
  MAIL_FROM_ADDRESS: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$' })),
  MAIL_FROM_NAME: Type.String({ default: 'Marg', minLength: 1 }),

  // Search (issue 13): the engine behind the search port; mysql/pgsql keep their tables in the platform database.
  SEARCH_DRIVER: Type.Union(['sqlite', 'mysql', 'pgsql', 'elasticsearch', 'opensearch'].map((d) => Type.Literal(d)), { default: 'sqlite' }),
  ELASTICSEARCH_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'http(s)://[user:password@]host:9200' })),
  OPENSEARCH_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'http(s)://[user:password@]host:9200' })),
  SEARCH_PREFIX: Type.String({ default: 'marg_', pattern: '^[a-z0-9_]{0,20}$', description: 'prefix of index names on Elasticsearch/OpenSearch' }),
  SEARCH_QUEUE: Type.String({ default: 'default', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'the queue index jobs go to' }),

  FILESYSTEM_DISK: Type.Union([Type.Literal('local'), Type.Literal('s3')], { default: 'local' }),
  // FILESYSTEM_DISK=s3 (issue 14), the guides' names; which are required is checked in config.ts (s3Config).
  AWS_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1 })),
  AWS_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1 })),
  AWS_DEFAULT_REGION: Type.Optional(Type.String({ pattern: '^[a-z0-9-]{1,32}$', description: 'us-east-1, eu-west-3, auto (R2) …' })),
  AWS_BUCKET: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', description: 'an S3 bucket name: 3-63 of a-z 0-9 . -' })),
  AWS_ENDPOINT: Type.Optional(Type.String({ pattern: '^https?://[^\\s/?#]+/?$', description: 'http(s)://host[:port] of an S3-compatible server (MinIO, R2); unset: AWS' })),
  AWS_USE_PATH_STYLE_ENDPOINT: Type.Boolean({ default: false, description: 'address the bucket as <endpoint>/<bucket> (MinIO) instead of <bucket>.<endpoint>' }),
  ATTACHMENT_MAX_BYTES: Type.Integer({ minimum: 1, maximum: 5 * 1024 ** 3, default: 20 * 1024 * 1024, description: 'largest flow attachment, in bytes' }),

  // Realtime (issue 12): the Pusher-protocol server (`marg realtime`, and `npm start` under ws.<MARG_DOMAIN>); Reverb's names.
  BROADCAST_CONNECTION: Type.Union([Type.Literal('memory'), Type.Literal('redis')], { default: 'memory', description: 'memory: one process; redis: several realtime nodes' }),
  REVERB_APP_ID: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: '1-64 of A-Z a-z 0-9 _ -' })),
  REVERB_APP_KEY: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: '1-64 of A-Z a-z 0-9 _ -' })),
  REVERB_APP_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  REVERB_HOST: Type.Optional(Type.String({ minLength: 1, description: 'the host clients connect to; default ws.<MARG_DOMAIN>' })),
  REVERB_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'the port clients connect to; `marg realtime` listens on it too unless REVERB_SERVER_PORT is set (default 6001)' })),
  REVERB_SERVER_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'the port `marg realtime` binds; default REVERB_PORT, else 6001' })),
  REVERB_SCHEME: Type.Union([Type.Literal('http'), Type.Literal('https')], { default: 'http' }),
  REVERB_SERVER_HOST: Type.Optional(Type.String({ minLength: 1, description: 'address `marg realtime` binds; default HOST' })),
  REVERB_ALLOWED_ORIGINS: Type.Optional(Type.String({ description: 'browser origins (host names, *.domain, or *) allowed to connect, comma separated; default MARG_DOMAIN and its subdomains' })),
  REVERB_APP_ACTIVITY_TIMEOUT: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'seconds of silence before a ping' }),
  REVERB_APP_MAX_MESSAGE_SIZE: Type.Integer({ minimum: 256, maximum: 10_485_760, default: 10_000, description: 'bytes per WebSocket message' }),
  REVERB_APP_MAX_CONNECTIONS: Type.Integer({ minimum: 1, default: 20_000, description: 'open sockets per node' }),
  REVERB_APP_MAX_SUBSCRIPTIONS: Type.Integer({ minimum: 1, default: 100, description: 'channels per socket' }),
  REVERB_APP_CLIENT_EVENTS: Type.Boolean({ default: true, description: 'accept client-* events on private and presence channels' }),
  REVERB_APP_CLIENT_EVENT_RATE: Type.Integer({ minimum: 1, default: 10, description: 'client events per second per socket' }),
  REVERB_NODE_TIMEOUT: Type.Number({ minimum: 0.3, maximum: 300, default: 9, description: 'seconds without heartbeat before a realtime node counts as dead' }),

  // Backups (issue 14): `marg backup`, `marg restore` and the 03:00 scheduled backup (src/backup).
  BACKUP_PATH: Type.Optional(Type.String({ minLength: 1, description: 'folder the backups go to, or s3://bucket/prefix (with the AWS_* variables); default <STORAGE_PATH>/backups' })),
  BACKUP_KEEP_DAILY: Type.Integer({ minimum: 0, default: 7, description: 'the scheduled backup keeps the newest backup of this many days' }),
  BACKUP_KEEP_WEEKLY: Type.Integer({ minimum: 0, default: 4, description: '… of this many ISO weeks' }),
  BACKUP_KEEP_MONTHLY: Type.Integer({ minimum: 0, default: 6, description: '… of this many months' }),
  BACKUP_ENCRYPT_KEY: Type.Optional(Type.String({ minLength: 1, description: 'AES-256 key (64 hex digits or base64 of 32 bytes) the scheduled backup encrypts with; usually BACKUP_ENCRYPT_KEY_FILE' })),

  SIGNIN_MAX_ATTEMPTS: Type.Integer({ minimum: 1, default: 5 }),
  SIGNIN_LOCKOUT_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
});

export type Env = Static<typeof EnvSchema>;

const schemas = new Map<string, typeof EnvSchema>();

/**
 * EnvSchema plus `<NAME>_DB_*` for each database (RBAC_DB_HOST, FLOW_DB_DRIVER …): the names
 * come from the apps, so a new app's variables are validated without an edit here.
 */
export function envSchema(databases: readonly string[]): typeof EnvSchema {
  const key = databases.join(',');
  let schema = schemas.get(key);
  if (!schema) {
    const extra = Object.assign({}, ...databases.map((name) => perDatabase(databasePrefix(name)))) as Record<string, TSchema>;
    schema = Type.Object({ ...EnvSchema.properties, ...extra }) as unknown as typeof EnvSchema;
    schemas.set(key, schema);
  }
  return schema;
}

/** `flow` → `FLOW_`, `my-app` → `MY_APP_`: the prefix of a database's own variables. */
export function databasePrefix(name: string): string {
  return `${name.toUpperCase().replace(/-/g, '_')}_`;
}

/** Names a per-database variable, e.g. `databaseVariable('RBAC_', 'HOST')` → RBAC_DB_HOST. */
export function databaseVariable(prefix: string, suffix: string): string {
  return `${prefix}DB_${suffix}`;
}
