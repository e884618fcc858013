import type { MigrationSet } from '../database/contract.ts';
import { databaseQueueMigrations } from '../queue/manager.ts';
import { scheduleMigrations } from '../scheduler/schema.ts';

/** The platform database's tables: the database queue's, and the scheduler's bookkeeping. */
export const platformMigrations: MigrationSet = { ...databaseQueueMigrations, ...scheduleMigrations };
