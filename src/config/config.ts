import { availableParallelism } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { RedisSettings } from '../redis/settings.ts';
import type { DatabaseConfig, HostPort } from '../database/settings.ts';
import { databasePrefix, databaseVariable, envSchema, type Env } from './schema.ts';
import { ConfigError, type RawEnv } from './env-files.ts';
import { readGuideEnvironment } from './guide-names.ts';
import { KERNEL_LAYOUT, type AppLayout } from './layout.ts';
import { parseTrustedProxies, type TrustedProxies } from './trusted-proxies.ts';
import type { RealtimeSettings } from '../realtime/settings.ts';


const DEFAULT_PORTS = { mysql: 3306, pgsql: 5432 } as const;
const DEFAULT_USERS = { mysql: 'root', pgsql: 'postgres' } as const;

/** The one typed configuration object every part of Marg is built from. */
export interface Config {
  readonly env: Env['NODE_ENV'];
  readonly appKey: string | undefined;
  readonly cwd: string;
  readonly storagePath: string;
  readonly domain: string;
  readonly host: string;
  readonly port: number;
  /** Web processes `marg serve` runs (WEB_CONCURRENCY; default one per core). */
  readonly webConcurrency: number;
  readonly logLevel: Env['LOG_LEVEL'];
  /** MARG_NODE_NAME: what this node calls itself (X-Marg-Node); undefined means <hostname>:<pid>. */
  readonly nodeName: string | undefined;
  /** MARG_NODE_HEADER: send X-Marg-Node (the node name) on every response; off unless a cluster asks. */
  readonly nodeHeader: boolean;
  /** MARG_HOST_ALIASES, lower-cased: host names allowed besides MARG_DOMAIN and the app hosts. */
  readonly hostAliases: readonly string[];
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
  /** What the apps decide: database names, the audit log's database, the sign-in host. */
  readonly layout: AppLayout;
  /** Every database of the layout by name. */
  readonly databases: Readonly<Record<string, DatabaseConfig>>;
  readonly db: { readonly stickySeconds: number; readonly replicaRetrySeconds: number; readonly replicaMaxLagSeconds: number | undefined };
  readonly redis: RedisSettings;
  readonly rbacCacheTtl: number;
  readonly signin: { readonly maxAttempts: number; readonly lockoutSeconds: number };
  /** Operations (issue 5): request limits per minute (0 = off) and the proxies whose X-Forwarded-* headers count. */
  readonly limits: { readonly apiPerMinute: number; readonly signinPerMinute: number };
  readonly trustedProxies: TrustedProxies;
  /** Prometheus metrics endpoint (issue 5): `port` undefined = not served. */
  readonly metrics: { readonly port: number | undefined; readonly host: string };
  readonly queue: {
    readonly connection: Env['QUEUE_CONNECTION'];
    readonly retryAfterMs: number;
    readonly backlogThreshold: number;
    readonly failedRetentionDays: number;
    /** Redis queue: replicas that must hold a dispatched job before dispatch resolves (WAIT), and for how long to wait. */
    readonly redisWait: { readonly replicas: number; readonly timeoutMs: number };
  };
  readonly mail: MailConfig;
  /** Realtime (issue 12): the Pusher app, where clients connect, limits (src/realtime/settings.ts). */
  readonly realtime: RealtimeSettings;
  /** `root`: the local disk (storage/app); `s3`: the bucket, set when FILESYSTEM_DISK=s3. */
  readonly filesystem: { readonly disk: Env['FILESYSTEM_DISK']; readonly root: string; readonly s3: S3Config | undefined };
  readonly attachments: { readonly maxBytes: number };
  /** Search (issue 13): the engine, and where its index files or tables live. */
  readonly search: SearchConfig;
  /**
   * BACKUP_*: where backups go (a folder, or an `s3://bucket/prefix` URL kept as typed), what the
   * scheduled one keeps, its encryption key; `s3` is the AWS_* connection an s3:// location uses.
   */
  readonly backup: { readonly path: string; readonly s3: S3Connection; readonly keep: { readonly daily: number; readonly weekly: number; readonly monthly: number }; readonly encryptKey: string | undefined };
  /** The merged raw environment, for drivers that read their own optional variables. */
  readonly raw: RawEnv;
  /** Guide variables Marg does not use, each naming its variable (logged when a role boots). */
  readonly warnings: readonly string[];
}

export interface LoadConfigOptions {
  cwd?: string;
  env?: RawEnv;
  /** From the app registry (`appRegistry(apps).layout`); default: the kernel's databases only. */
  layout?: AppLayout;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const layout = options.layout ?? KERNEL_LAYOUT;
  const { raw, warnings } = readGuideEnvironment(cwd, options.env ?? process.env, new Set(Object.keys(envSchema(layout.databases).properties)));
  return buildConfig(cwd, raw, layout, warnings);
}

export function buildConfig(cwd: string, raw: RawEnv, layout: AppLayout = KERNEL_LAYOUT, warnings: readonly string[] = []): Config {
  const env = parseEnv(raw, layout.databases);
  const storagePath = isAbsolute(env.STORAGE_PATH) ? env.STORAGE_PATH : resolve(cwd, env.STORAGE_PATH);
  const values = env as Env & Record<string, unknown>;
  const databases = Object.fromEntries(layout.databases.map((name) => [name, databaseConfig(name, values, cwd, storagePath)]));
  if (env.MARG_NODE_HEADER && !env.MARG_NODE_NAME) throw new ConfigError(['MARG_NODE_HEADER: needs MARG_NODE_NAME, the name the header gives (web-1, …)']);
  return {
    env: env.NODE_ENV,
    appKey: env.APP_KEY,
    cwd,
    storagePath,
    domain: env.MARG_DOMAIN,
    host: env.HOST,
    port: env.PORT,
    webConcurrency: env.WEB_CONCURRENCY ?? availableParallelism(),
    logLevel: env.LOG_LEVEL,
    nodeName: env.MARG_NODE_NAME,
    nodeHeader: env.MARG_NODE_HEADER,
    hostAliases: (env.MARG_HOST_ALIASES ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''),
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
    db: { stickySeconds: env.DB_STICKY_SECONDS, replicaRetrySeconds: env.DB_REPLICA_RETRY_SECONDS, replicaMaxLagSeconds: env.DB_REPLICA_MAX_LAG },
    redis: redisSettings(env),
    rbacCacheTtl: env.RBAC_CACHE_TTL,
    signin: { maxAttempts: env.SIGNIN_MAX_ATTEMPTS, lockoutSeconds: env.SIGNIN_LOCKOUT_SECONDS },
    limits: { apiPerMinute: env.API_RATE_LIMIT, signinPerMinute: env.SIGNIN_RATE_LIMIT },
    trustedProxies: parseTrustedProxies(env.TRUSTED_PROXIES),
    metrics: { port: env.METRICS_PORT, host: env.METRICS_HOST },
    queue: {
      connection: env.QUEUE_CONNECTION,
      retryAfterMs: env.QUEUE_RETRY_AFTER * 1000,
      backlogThreshold: env.QUEUE_BACKLOG_THRESHOLD,
      failedRetentionDays: env.QUEUE_FAILED_RETENTION_DAYS,
      redisWait: { replicas: env.QUEUE_REDIS_WAIT_REPLICAS, timeoutMs: env.QUEUE_REDIS_WAIT_TIMEOUT },
    },
    mail: mailConfig(env, join(storagePath, 'mail')),
    realtime: realtimeSettings(env),
    filesystem: { disk: env.FILESYSTEM_DISK, root: join(storagePath, 'app'), s3: env.FILESYSTEM_DISK === 's3' ? s3Config(env) : undefined },
    attachments: { maxBytes: env.ATTACHMENT_MAX_BYTES },
    search: searchConfig(env, databases, storagePath),
    backup: {
      path: env.BACKUP_PATH === undefined ? join(storagePath, 'backups') : env.BACKUP_PATH.startsWith('s3://') ? env.BACKUP_PATH : resolve(cwd, env.BACKUP_PATH),
      s3: s3Connection(env),
      keep: { daily: env.BACKUP_KEEP_DAILY, weekly: env.BACKUP_KEEP_WEEKLY, monthly: env.BACKUP_KEEP_MONTHLY },
      encryptKey: env.BACKUP_ENCRYPT_KEY,
    },
    layout,
    raw,
    warnings,
  };
}

/** The S3 bucket (AWS, MinIO, R2) of FILESYSTEM_DISK=s3. */
export interface S3Config {
  readonly bucket: string;
  readonly region: string;
  /** Unset: the SDK's default chain (instance role, ~/.aws) finds the credentials. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } | undefined;
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
}

/** An S3 server and account without a bucket: what a backup to `s3://bucket/prefix` connects with. */
export interface S3Connection {
  /** Unset: `marg backup --to s3://…` refuses to start, naming AWS_DEFAULT_REGION. */
  readonly region: string | undefined;
  readonly credentials: S3Config['credentials'];
  readonly endpoint: string | undefined;
  readonly forcePathStyle: boolean;
}

/** The AWS_* variables but the bucket (the region is checked where an s3:// backup location uses it). */
function s3Connection(env: Env): S3Connection {
  if (Boolean(env.AWS_ACCESS_KEY_ID) !== Boolean(env.AWS_SECRET_ACCESS_KEY)) {
    const missing = env.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    throw new ConfigError([`${missing}: is required with ${missing === 'AWS_ACCESS_KEY_ID' ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} (set both, or neither to use the instance role)`]);
  }
  return {
    region: env.AWS_DEFAULT_REGION,
    credentials: env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY } : undefined,
    endpoint: env.AWS_ENDPOINT,
    forcePathStyle: env.AWS_USE_PATH_STYLE_ENDPOINT,
  };
}

/** FILESYSTEM_DISK=s3 needs a bucket and a region; the key pair comes whole or not at all. */
function s3Config(env: Env): S3Config {
  const problems: string[] = [];
  if (!env.AWS_BUCKET) problems.push('AWS_BUCKET: is required when FILESYSTEM_DISK=s3 (the bucket objects are stored in)');
  if (!env.AWS_DEFAULT_REGION) problems.push('AWS_DEFAULT_REGION: is required when FILESYSTEM_DISK=s3 (us-east-1 for MinIO, auto for R2)');
  if (Boolean(env.AWS_ACCESS_KEY_ID) !== Boolean(env.AWS_SECRET_ACCESS_KEY)) {
    const missing = env.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    problems.push(`${missing}: is required with ${missing === 'AWS_ACCESS_KEY_ID' ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'} (set both, or neither to use the instance role)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    bucket: env.AWS_BUCKET!,
    region: env.AWS_DEFAULT_REGION!,
    credentials: env.AWS_ACCESS_KEY_ID ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! } : undefined,
    endpoint: env.AWS_ENDPOINT,
    forcePathStyle: env.AWS_USE_PATH_STYLE_ENDPOINT,
  };
}

const PLAIN_NUMBER: Readonly<Record<string, RegExp>> = { integer: /^-?\d+$/, number: /^-?\d+(\.\d+)?$/ };

/**
 * One database's settings: `<NAME>_DB_*` (e.g. RBAC_DB_HOST) over `DB_*`. SQLite keeps a file
 * per database under STORAGE_PATH; servers get `<DB_DATABASE>_<name>` unless named.
 */
function databaseConfig(name: string, env: Env & Record<string, unknown>, cwd: string, storagePath: string): DatabaseConfig {
  const prefix = databasePrefix(name);
  const own = <T>(suffix: string): T | undefined => env[databaseVariable(prefix, suffix)] as T | undefined;
  const shared = <T>(suffix: string): T | undefined => env[databaseVariable('', suffix)] as T | undefined;
  const pick = <T>(suffix: string): T | undefined => own<T>(suffix) ?? shared<T>(suffix);
  const driver = own<string>('DRIVER') ?? env.DB_CONNECTION;
  const connection = driver === 'mariadb' ? 'mysql' : (driver as 'sqlite' | 'mysql' | 'pgsql');
  const database = own<string>('DATABASE');
  if (connection === 'sqlite') {
    const file = database ?? join(storagePath, 'database', `${name}.sqlite`);
    return { connection, file: isAbsolute(file) ? file : resolve(cwd, file) };
  }
  if (database !== undefined && !/^[A-Za-z0-9_$-]{1,64}$/.test(database)) {
    throw new ConfigError([`${databaseVariable(prefix, 'DATABASE')}: must be a database name of letters, digits, _ $ - (got ${JSON.stringify(database)})`]);
  }
  return {
    connection,
    host: pick<string>('HOST') ?? '127.0.0.1',
    port: pick<number>('PORT') ?? DEFAULT_PORTS[connection],
    database: database ?? `${env.DB_DATABASE}_${name}`,
    user: pick<string>('USERNAME') ?? DEFAULT_USERS[connection],
    password: pick<string>('PASSWORD') ?? '',
    poolMax: env.DB_POOL_MAX,
    readHosts: parseHostList(pick<string>('READ_HOSTS'), DEFAULT_PORTS[connection]),
  };
}

export interface SearchConfig {
  readonly driver: 'sqlite' | 'mysql' | 'pgsql' | 'elasticsearch' | 'opensearch';
  /** The FTS5 file of the sqlite driver. */
  readonly file: string;
  /** Elasticsearch/OpenSearch node URL. */
  readonly url: string | undefined;
  readonly prefix: string;
  readonly queue: string;
}

/**
 * SEARCH_DRIVER=mysql|pgsql keep the index tables in the platform database (DB_* or
 * PLATFORM_DB_*), so they need it on that server; elasticsearch/opensearch need their URL.
 */
function searchConfig(env: Env, databases: Readonly<Record<string, DatabaseConfig>>, storagePath: string): SearchConfig {
  const driver = env.SEARCH_DRIVER as SearchConfig['driver'];
  if (driver === 'mysql' || driver === 'pgsql') {
    const platform = databases.platform?.connection;
    if (platform !== driver) throw new ConfigError([`SEARCH_DRIVER: ${driver} keeps its indexes in the platform database, which is on ${platform ?? 'nothing'} (set DB_CONNECTION or PLATFORM_DB_DRIVER to ${driver})`]);
  }
  const url = driver === 'elasticsearch' ? env.ELASTICSEARCH_URL : driver === 'opensearch' ? env.OPENSEARCH_URL : undefined;
  if ((driver === 'elasticsearch' || driver === 'opensearch') && !url) throw new ConfigError([`${driver === 'elasticsearch' ? 'ELASTICSEARCH_URL' : 'OPENSEARCH_URL'}: is required when SEARCH_DRIVER=${driver}`]);
  return { driver, file: join(storagePath, 'search', 'search.sqlite'), url, prefix: env.SEARCH_PREFIX, queue: env.SEARCH_QUEUE };
}

export interface MailConfig {
  readonly mailer: 'log' | 'smtp';
  /** Where the log mailer writes each message as an .eml file. */
  readonly directory: string;
  readonly host: string | undefined;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly encryption: Env['MAIL_ENCRYPTION'];
  readonly from: { readonly address: string; readonly name: string };
}

function mailConfig(env: Env, directory: string): MailConfig {
  const mailer = env.MAIL_MAILER ?? (env.MAIL_HOST ? 'smtp' : 'log');
  if (mailer === 'smtp' && !env.MAIL_HOST) throw new ConfigError(['MAIL_HOST: is required when MAIL_MAILER=smtp']);
  return {
    mailer,
    directory,
    host: env.MAIL_HOST,
    port: env.MAIL_PORT,
    username: env.MAIL_USERNAME,
    password: env.MAIL_PASSWORD,
    encryption: env.MAIL_ENCRYPTION,
    from: { address: env.MAIL_FROM_ADDRESS ?? `marg@${env.MARG_DOMAIN}`, name: env.MAIL_FROM_NAME },
  };
}

function realtimeSettings(env: Env): RealtimeSettings {
  const { REVERB_APP_ID: id, REVERB_APP_KEY: key, REVERB_APP_SECRET: secret } = env;
  const given = [id, key, secret].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) throw new ConfigError(['REVERB_APP_ID, REVERB_APP_KEY, REVERB_APP_SECRET: set all three or none']);
  const origins = (env.REVERB_ALLOWED_ORIGINS ?? `${env.MARG_DOMAIN},*.${env.MARG_DOMAIN}`).split(',').map((o) => o.trim().toLowerCase()).filter((o) => o !== '');
  return {
    driver: env.BROADCAST_CONNECTION,
    app: id && key && secret ? { id, key, secret } : undefined,
    host: env.REVERB_HOST ?? `ws.${env.MARG_DOMAIN}`,
    port: env.REVERB_SERVER_PORT ?? env.REVERB_PORT ?? 6001,
    clientPort: env.REVERB_PORT,
    scheme: env.REVERB_SCHEME,
    serverHost: env.REVERB_SERVER_HOST ?? env.HOST,
    allowedOrigins: origins,
    activityTimeoutSeconds: env.REVERB_APP_ACTIVITY_TIMEOUT,
    maxMessageBytes: env.REVERB_APP_MAX_MESSAGE_SIZE,
    maxConnections: env.REVERB_APP_MAX_CONNECTIONS,
    maxSubscriptions: env.REVERB_APP_MAX_SUBSCRIPTIONS,
    clientEvents: env.REVERB_APP_CLIENT_EVENTS,
    clientEventsPerSecond: env.REVERB_APP_CLIENT_EVENT_RATE,
    nodeTimeoutMs: Math.round(env.REVERB_NODE_TIMEOUT * 1000),
  };
}

function redisSettings(env: Env): RedisSettings {
  const fromUrl = env.REDIS_URL ? parseRedisUrl(env.REDIS_URL) : undefined;
  return {
    host: fromUrl?.hostname || env.REDIS_HOST,
    port: fromUrl?.port ? Number(fromUrl.port) : env.REDIS_PORT,
    username: (fromUrl?.username && decodeURIComponent(fromUrl.username)) || env.REDIS_USERNAME,
    password: (fromUrl?.password && decodeURIComponent(fromUrl.password)) || env.REDIS_PASSWORD,
    db: fromUrl && /^\/\d+$/.test(fromUrl.pathname) ? Number(fromUrl.pathname.slice(1)) : env.REDIS_DB,
    tls: fromUrl?.protocol === 'rediss:',
    prefix: env.REDIS_PREFIX,
    sentinels: parseHostList(env.REDIS_SENTINELS, 26379),
    sentinelService: env.REDIS_SENTINEL_SERVICE,
    sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
  };
}

/** A REDIS_URL that does not parse, or names no host, is a config error (never echoed: it may hold a password). */
function parseRedisUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(['REDIS_URL: is not a valid URL (redis://[user:password@]host:port/db)']);
  }
  if (!url.hostname) throw new ConfigError(['REDIS_URL: names no host (redis://[user:password@]host:port/db)']);
  return url;
}

/** `a, b:3307` → [{a, default}, {b, 3307}] (the schema already checked the shape). */
function parseHostList(list: string | undefined, defaultPort: number): HostPort[] {
  if (!list) return [];
  return list.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':');
    return { host: host!, port: port ? Number(port) : defaultPort };
  });
}

/** Validates the variables Marg knows; every problem names its variable. */
function parseEnv(raw: RawEnv, databases: readonly string[]): Env {
  const schema = envSchema(databases);
  const known = Object.keys(schema.properties);
  // Empty strings mean "unset", as in Laravel's .env files.
  const picked = Object.fromEntries(known.filter((k) => raw[k] !== undefined && raw[k] !== '').map((k) => [k, raw[k]]));
  // Default and Convert mutate their input: work on a copy so `picked` keeps what was given.
  const value = Value.Convert(schema, Value.Default(schema, { ...picked })) as Record<string, unknown>;
  // Convert is loose ('8080.9' → 8080, '1e3' → 1, 'true' → 1): a number must be written plainly, or it is reported.
  for (const [name, property] of Object.entries(schema.properties)) {
    const plain = PLAIN_NUMBER[(property as { type?: string }).type ?? ''];
    const given = picked[name];
    if (plain && given !== undefined && !plain.test(given)) value[name] = given;
  }
  const problems = [...Value.Errors(schema, value)].map((e) => {
    const name = e.path.replace(/^\//, '');
    const given = picked[name];
    const message = describeProblem(e.schema, e.message);
    // A secret's value is never echoed back.
    const shown = given === undefined || /KEY|PASSWORD|SECRET|_URL$/.test(name) ? '' : ` (got ${JSON.stringify(given)})`;
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
