import type { DatabaseConnection } from '../../src/database/contract.ts';
import type { LinksDatabase } from './links-store.ts';

/** Counts one visit of a link. The one place clicks are recorded, so it can move onto a queue. */
export type ClickCounter = (linkId: number) => Promise<void>;

/** For now: an atomic increment in the database, on the request. */
export function databaseClickCounter(connection: DatabaseConnection<LinksDatabase>): ClickCounter {
  return async (linkId) => {
    await connection.db
      .updateTable('links')
      .set((eb) => ({ clicks: eb('clicks', '+', 1) }))
      .where('id', '=', linkId)
      .execute();
  };
}
