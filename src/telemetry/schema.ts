import type { MigrationSet } from '../database/contract.ts';

/** The database telemetry driver's tables, in the `platform` database. */
export interface TelemetryDatabase {
  telemetry_nodes: {
    node: string;
    /** ISO-8601 UTC of the last heartbeat: pruning compares it as text. */
    beat_at: string;
    /** The NodeBeat as JSON. */
    data: string;
  };
  telemetry_samples: {
    node: string;
    /** Minutes since the epoch. */
    minute: number;
    /** The MinuteSample as JSON. */
    data: string;
  };
}

export const telemetryMigrations: MigrationSet = {
  '2026_12_06_0001_create_telemetry': {
    async up(db) {
      await db.schema
        .createTable('telemetry_nodes')
        .addColumn('node', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('beat_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('telemetry_samples')
        .addColumn('node', 'varchar(255)', (c) => c.notNull())
        .addColumn('minute', 'integer', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('telemetry_samples_pk', ['node', 'minute'])
        .execute();
      // Reading the last hour and pruning past the window both go by minute.
      await db.schema.createIndex('telemetry_samples_minute').on('telemetry_samples').column('minute').execute();
    },
    async down(db) {
      await db.schema.dropTable('telemetry_samples').execute();
      await db.schema.dropTable('telemetry_nodes').execute();
    },
  },
};
