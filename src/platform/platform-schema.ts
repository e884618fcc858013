import type { MigrationSet } from '../database/contract.ts';
import { queueMigrations } from '../queue/database-schema.ts';
import { scheduleMigrations } from '../scheduler/schema.ts';

/** The platform database's tables: the database queue's, and the scheduler's bookkeeping. */
export const platformMigrations: MigrationSet = { ...queueMigrations, ...scheduleMigrations };
