import { ConfigError, readEnvironmentLayers, type EnvLayer, type RawEnv } from './env-files.ts';

/**
 * The Laravel guides' names for settings Marg has under another name, and the guides' names
 * Marg does not use. A `.env` written for the guides must not silently run on the defaults:
 * an alias sets Marg's variable, an unused name is warned about, and an alias that disagrees
 * with Marg's own name in the same source is a startup error.
 *
 * Names that configure other programs (MYSQL_* for the mysql image, ES_JAVA_OPTS, shell
 * variables of the guides' scripts such as BACKUP_DIR) are left alone without a word: a
 * `.env` shared with docker compose holds them on purpose.
 */

/** What a guide value means in Marg: a value for Marg's variable, nothing to set, or a problem. */
type Mapped = { readonly value: string } | { readonly nothing: true } | { readonly problem: string };

interface Alias {
  /** The variable Marg reads. */
  readonly target: string;
  map(value: string): Mapped;
}

const DB_DRIVERS = new Set(['sqlite', 'mysql', 'mariadb', 'pgsql']);

/**
 * Laravel's store drivers → Marg's. `file` is a machine-local store that survives restarts,
 * which is Marg's SQLite file; `array` lives in one process, like `memory`. Laravel's
 * `database` store lives on the (maybe shared) database server, which no Marg store does:
 * it is refused rather than quietly made machine-local.
 */
function storeDriver(name: string, what: string): Alias['map'] {
  const stores: Readonly<Record<string, string>> = { redis: 'redis', file: 'sqlite', array: 'memory', sqlite: 'sqlite', memory: 'memory' };
  return (value) => {
    const store = stores[value];
    if (store !== undefined) return { value: store };
    if (value === 'database') return { problem: `${name}: Marg keeps no ${what} in the database: use redis (several machines) or file (SQLite under STORAGE_PATH, one machine)` };
    return { problem: `${name}: must be one of redis, file, array (or Marg's sqlite, memory) (got ${JSON.stringify(value)})` };
  };
}

/** APP_ENV → NODE_ENV: staging runs as production does (the guides give it APP_DEBUG=false). */
const ENVIRONMENTS: Readonly<Record<string, string>> = {
  production: 'production',
  staging: 'production',
  local: 'development',
  development: 'development',
  testing: 'test',
  test: 'test',
};

const ALIASES: Readonly<Record<string, Alias>> = {
  CACHE_DRIVER: { target: 'CACHE_STORE', map: storeDriver('CACHE_DRIVER', 'cache') },
  APP_ENV: {
    target: 'NODE_ENV',
    map: (value) => {
      const env = ENVIRONMENTS[value];
      return env === undefined
        ? { problem: `APP_ENV: must be one of ${Object.keys(ENVIRONMENTS).join(', ')} (got ${JSON.stringify(value)})` }
        : { value: env };
    },
  },
  // Reverb scales across nodes through Redis when this is on: Marg's BROADCAST_CONNECTION=redis.
  REVERB_SCALING_ENABLED: {
    target: 'BROADCAST_CONNECTION',
    map: (value) => {
      const on = flag(value);
      return on === undefined ? { problem: `REVERB_SCALING_ENABLED: must be true or false (got ${JSON.stringify(value)})` } : { value: on ? 'redis' : 'memory' };
    },
  },
  // Marg has one session store for every app (that is what signs a user in everywhere).
  RBAC_SESSION_DRIVER: { target: 'SESSION_DRIVER', map: storeDriver('RBAC_SESSION_DRIVER', 'sessions') },
};

/**
 * `<NAME>_DB_CONNECTION` for any database Marg has (one whose `<NAME>_DB_DRIVER` it reads).
 * Laravel names a connection there: `mysql`, `pgsql`… are the driver; the database's own name
 * (RBAC_DB_CONNECTION=rbac, as in the guides) is the separate connection Marg gives it anyway.
 * Any other connection name means nothing to Marg and is warned about instead.
 */
function databaseConnectionAlias(name: string, known: ReadonlySet<string>): Alias | undefined {
  const prefix = /^([A-Z][A-Z0-9_]*)_DB_CONNECTION$/.exec(name)?.[1];
  if (prefix === undefined || !known.has(`${prefix}_DB_DRIVER`)) return undefined;
  return {
    target: `${prefix}_DB_DRIVER`,
    map: (value) => (DB_DRIVERS.has(value) ? { value } : { nothing: true }),
  };
}

function aliasOf(name: string, known: ReadonlySet<string>): Alias | undefined {
  return Object.hasOwn(ALIASES, name) ? ALIASES[name] : databaseConnectionAlias(name, known);
}

const given = (value: string | undefined): value is string => value !== undefined && value !== '';

/** Laravel's env() booleans; undefined for anything else. */
function flag(value: string): boolean | undefined {
  if (/^(true|\(true\)|1|on|yes)$/i.test(value)) return true;
  if (/^(false|\(false\)|0|off|no)$/i.test(value)) return false;
  return undefined;
}

/**
 * Guide names Marg does not use, with what to do instead. Each warns only when its value asks
 * for something Marg does not do: the guides' own `SESSION_PATH=/` or `APP_DEBUG=false` is what
 * Marg does anyway, and a warning there would only teach people to ignore warnings.
 */
const UNUSED: Readonly<Record<string, { readonly matters: (value: string) => boolean; readonly instead: string }>> = {
  APP_URL: { matters: () => true, instead: 'the apps answer on accounts., flow. and links.<MARG_DOMAIN>: set MARG_DOMAIN' },
  APP_NAME: { matters: () => true, instead: 'mail is sent as MAIL_FROM_NAME' },
  APP_DEBUG: { matters: (v) => flag(v) !== false, instead: 'Marg never shows error details to clients; the log has them (LOG_LEVEL=debug for more)' },
  TELESCOPE_ENABLED: { matters: (v) => flag(v) !== false, instead: 'Marg has no Telescope: see /health, /metrics (METRICS_PORT) and the logs' },
  SESSION_PATH: { matters: (v) => v !== '/', instead: 'the session cookie is always on path /' },
  RBAC_SESSION_CONNECTION: { matters: (v) => v !== 'default', instead: 'Marg has one Redis connection, set by REDIS_*' },
};

/** Variables a guide's `.env` may hold that Marg reads as an alias or warns about (test helpers clear them). */
export function isGuideName(name: string): boolean {
  return Object.hasOwn(ALIASES, name) || Object.hasOwn(UNUSED, name) || name === 'RBAC_CACHE_ENABLED' || /^[A-Z][A-Z0-9_]*_DB_CONNECTION$/.test(name);
}

interface Resolved {
  readonly values: RawEnv;
  /** Problems with the variable each is about; a higher layer that sets that variable overrides them. */
  readonly problems: readonly { readonly target: string; readonly message: string }[];
}

/** One layer with its aliases turned into Marg's names; both names with different values is a problem. */
function resolveLayer(layer: EnvLayer, known: ReadonlySet<string>): Resolved {
  const values: RawEnv = { ...layer.values };
  const problems: { target: string; message: string }[] = [];
  for (const [name, value] of Object.entries(layer.values)) {
    if (!given(value)) continue;
    const alias = aliasOf(name, known);
    if (alias === undefined) continue;
    const mapped = alias.map(value);
    if ('problem' in mapped) {
      problems.push({ target: alias.target, message: mapped.problem });
      continue;
    }
    if ('nothing' in mapped) continue;
    const own = layer.values[alias.target];
    if (given(own) && !agrees(alias, own, mapped.value)) {
      // Neither value is a secret (drivers and environments), so both are shown.
      const means = mapped.value === value ? '' : ` (${alias.target}=${mapped.value})`;
      problems.push({
        target: alias.target,
        message: `${name} and ${alias.target} disagree in ${layer.source}: ${name}=${value}${means} but ${alias.target}=${own}; keep one`,
      });
      continue;
    }
    values[alias.target] = mapped.value;
  }
  return { values, problems };
}

/** Marg's name agrees with the alias when it says the same, in Marg's words or the guides' (NODE_ENV=development, APP_ENV=local). */
function agrees(alias: Alias, own: string, value: string): boolean {
  const ownMeaning = alias.map(own);
  return own === value || ('value' in ownMeaning && ownMeaning.value === value);
}

/**
 * The environment's layers merged, with the guides' names resolved, and the warnings for guide
 * names Marg does not use. Aliases are resolved in each source before the merge, so the usual
 * order decides between sources (a CACHE_STORE in the real environment beats a CACHE_DRIVER in
 * `.env`, as `npm test`'s NODE_ENV=test beats a `.env`'s APP_ENV=local); within one source, two
 * names that disagree stop startup, each named. As for any variable, a problem in a source that
 * a higher one overrides does not count.
 */
export function readGuideEnvironment(cwd: string, processEnv: RawEnv, known: ReadonlySet<string>): { raw: RawEnv; warnings: string[] } {
  const resolved = readEnvironmentLayers(cwd, processEnv, known).map((layer) => resolveLayer(layer, known));
  const problems = resolved.flatMap(({ problems: mine }, index) =>
    mine.filter(({ target }) => !resolved.slice(index + 1).some((higher) => given(higher.values[target]))).map((p) => p.message),
  );
  if (problems.length > 0) throw new ConfigError(problems);
  const raw = Object.assign({}, ...resolved.map((r) => r.values)) as RawEnv;
  return { raw: withRbacCacheSwitch(raw), warnings: warnings(raw, known) };
}

/**
 * RBAC_CACHE_ENABLED and RBAC_CACHE_TTL are two settings in Laravel (off wins over any TTL),
 * so the switch is applied after the merge, not as a second name for the TTL: false means
 * RBAC_CACHE_TTL=0, which is how Marg turns the RBAC cache off.
 */
function withRbacCacheSwitch(raw: RawEnv): RawEnv {
  const enabled = raw.RBAC_CACHE_ENABLED;
  if (!given(enabled)) return raw;
  const on = flag(enabled);
  if (on === undefined) throw new ConfigError([`RBAC_CACHE_ENABLED: must be true or false (got ${JSON.stringify(enabled)})`]);
  return on ? raw : { ...raw, RBAC_CACHE_TTL: '0' };
}

function warnings(raw: RawEnv, known: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (!given(value)) continue;
    const unused = Object.hasOwn(UNUSED, name) ? UNUSED[name] : undefined;
    if (unused !== undefined && unused.matters(value)) found.push(`${name}: not used by Marg; ${unused.instead}`);
    const connection = databaseConnectionAlias(name, known);
    if (connection !== undefined && 'nothing' in connection.map(value) && value !== name.slice(0, -'_DB_CONNECTION'.length).toLowerCase()) {
      found.push(`${name}: not used by Marg for connection ${JSON.stringify(value)}; ${connection.target} (else DB_CONNECTION) names this database's driver`);
    }
  }
  return found;
}
