import type { MigrationSet } from '../database/contract.ts';
import { databaseQueueMigrations } from '../queue/manager.ts';
import { scheduleMigrations } from '../scheduler/schema.ts';
import { telemetryMigrations } from '../telemetry/schema.ts';

/** The platform database's tables: the database queue's, the scheduler's bookkeeping and the database telemetry driver's. */
export const platformMigrations: MigrationSet = { ...databaseQueueMigrations, ...scheduleMigrations, ...telemetryMigrations };
