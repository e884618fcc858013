import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { DatabaseName } from '../config/config.ts';
import type { MigrationSet } from '../database/contract.ts';
import type { AppPermissions } from '../auth/permissions.ts';
import type { User } from '../auth/users.ts';
import type { AppContext } from '../http/app-context.ts';
import type { JobHandlers } from '../queue/jobs.ts';
import type { ScheduledTask } from '../scheduler/contract.ts';
import type { Services } from './services.ts';

/** The Fastify instance apps register routes on: TypeBox schemas type the handlers. */
export type MargFastify = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export type AppName = 'accounts' | 'flow' | 'links';

/**
 * A set of queue jobs, built once per worker from the services its handlers use: the queue
 * hands a handler only its job and abort signal (src/queue knows nothing of the platform).
 */
export type JobFactory = (services: Services) => JobHandlers;

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
  readonly name: AppName;
  readonly title: string;
  readonly description: string;
  readonly database: DatabaseName;
  readonly migrations: MigrationSet;
  readonly permissions: AppPermissions;
  routes(app: MargFastify, ctx: AppContext): Promise<void>;
  /** Queue jobs this app handles, by name (`links.clicks`). */
  readonly jobs?: JobFactory;
  /** Cron tasks `marg schedule` runs for this app. */
  readonly schedule?: readonly ScheduledTask[];
  seed?(services: Services, ctx: SeedContext): Promise<void>;
}
