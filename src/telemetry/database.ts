import type { DatabaseConnection } from '../database/contract.ts';
import type { MinuteSample, NodeBeat, NodeSample, TelemetryStore } from './contract.ts';
import type { TelemetryDatabase } from './schema.ts';

/** Telemetry in the platform database: one row per node, one per node and minute. */
export class DatabaseTelemetryStore implements TelemetryStore {
  readonly driver = 'database';

  constructor(private readonly connection: DatabaseConnection<TelemetryDatabase>) {}

  async report(beat: NodeBeat, samples: readonly MinuteSample[]): Promise<void> {
    // Delete-then-insert in one transaction: a portable upsert (SQLite, MySQL, PostgreSQL) of rows only this node writes.
    await this.connection.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('telemetry_nodes').where('node', '=', beat.node).execute();
      await trx.insertInto('telemetry_nodes').values({ node: beat.node, beat_at: new Date(beat.beatAt).toISOString(), data: JSON.stringify(beat) }).execute();
      if (samples.length === 0) return;
      await trx.deleteFrom('telemetry_samples').where('node', '=', beat.node).where('minute', 'in', samples.map((s) => s.minute)).execute();
      await trx.insertInto('telemetry_samples').values(samples.map((s) => ({ node: beat.node, minute: s.minute, data: JSON.stringify(s) }))).execute();
    });
  }

  async prune(beforeMinute: number, beatBefore: number): Promise<void> {
    await this.connection.db.deleteFrom('telemetry_samples').where('minute', '<', beforeMinute).execute();
    await this.connection.db.deleteFrom('telemetry_nodes').where('beat_at', '<', new Date(beatBefore).toISOString()).execute();
  }

  async nodes(): Promise<NodeBeat[]> {
    const rows = await this.connection.db.selectFrom('telemetry_nodes').select('data').orderBy('node').execute();
    return rows.map((r) => JSON.parse(r.data) as NodeBeat);
  }

  async samples(fromMinute: number): Promise<NodeSample[]> {
    const rows = await this.connection.db.selectFrom('telemetry_samples').select(['node', 'data']).where('minute', '>=', fromMinute).orderBy('minute').execute();
    return rows.map((r) => ({ node: r.node, sample: JSON.parse(r.data) as MinuteSample }));
  }

  async footprint(): Promise<number> {
    const [samples, nodes] = await Promise.all([
      this.connection.db.selectFrom('telemetry_samples').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow(),
      this.connection.db.selectFrom('telemetry_nodes').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return Number(samples.n) + Number(nodes.n);
  }

  async close(): Promise<void> {}
}
