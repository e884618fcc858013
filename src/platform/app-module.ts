import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { MigrationSet } from '../database/contract.ts';
import type { AppPermissions } from '../auth/permissions.ts';
import type { User } from '../auth/users.ts';
import type { AppContext } from '../http/app-context.ts';
import type { JobHandlers } from '../queue/jobs.ts';
import type { ScheduledTask } from '../scheduler/contract.ts';
import type { SearchSource } from '../search/source.ts';
import type { Services } from './services.ts';

/** The Fastify instance apps register routes on: TypeBox schemas type the handlers. */
export type MargFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * Platform duties an app can take on, each held by at most one app: `sign-in` (its host
 * serves GET /signin, where the kernel sends signed-out users) and `audit-log` (its database
 * keeps the audit log; without such an app the kernel keeps it in the RBAC database).
 */
export type AppDuty = 'sign-in' | 'audit-log';

/**
 * A set of queue jobs, built once per worker from the services its handlers use: the queue
 * hands a handler only its job and abort signal (src/queue knows nothing of the platform).
 */
export type JobFactory = (services: Services) => JobHandlers;

/**
 * A realtime channel an app declares next to its routes: who may subscribe, checked by
 * `POST /broadcasting/auth` (src/http/broadcasting-auth.ts). `pattern` is a full channel
 * name (`private-flow.tasks`, `presence-flow.board`), where `{name}` matches one segment
 * of `A-Za-z0-9_-=@,;` (no dot).
 */
export interface ChannelRule {
  readonly pattern: string;
  /** The permission a user needs to subscribe. */
  readonly permission: string;
}

/** What first-run seeding hands each app. */
export interface SeedContext {
  readonly admin: User;
  readonly demoUsers: readonly User[];
}

/**
 * An app on the platform (DESIGN §3): its own database and migrations, its permissions
 * and roles, its routes (served on `<name>.<MARG_DOMAIN>`), and its demo data.
 */
export interface AppModule {
  /** Lower-case letters, digits and `-`: the host name (`<name>.<MARG_DOMAIN>`) and the RBAC app. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Its database (default: its name); `<DATABASE>_DB_*` variables configure it. */
  readonly database?: string;
  readonly duties?: readonly AppDuty[];
  readonly migrations: MigrationSet;
  readonly permissions: AppPermissions;
  routes(app: MargFastify, ctx: AppContext): Promise<void>;
  /** Queue jobs this app handles, by name (`links.clicks`). */
  readonly jobs?: JobFactory;
  /** Private and presence channels its pages subscribe to, with the permission each needs. */
  readonly channels?: readonly ChannelRule[];
  /**
   * Search indexes this app declares (issue 13), built from the services their records live in:
   * the worker keeps them current (`search.index` jobs), the scheduler syncs them nightly,
   * `marg search:reindex` rebuilds them.
   */
  readonly searchIndexes?: (services: Services) => readonly SearchSource[];
  /** Cron tasks `marg schedule` runs for this app. */
  readonly schedule?: readonly ScheduledTask[];
  seed?(services: Services, ctx: SeedContext): Promise<void>;
}
