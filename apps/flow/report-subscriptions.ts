import type { DatabaseConnection } from '../../src/database/contract.ts';
import { isUniqueViolation } from '../../src/database/errors.ts';
import { now } from '../../src/database/schema.ts';
import type { Services } from '../../src/platform/services.ts';
import type { ReportDatabase } from './report-migrations.ts';

export interface ReportSubscription {
  readonly userId: number;
  readonly email: string;
  readonly lastSentOn: string | null;
}

/** Who gets the daily flow report: one row per user (`report_subscriptions` in the flow database). */
export class ReportSubscriptions {
  constructor(private readonly connection: DatabaseConnection<ReportDatabase>) {}

  static of(services: Services): ReportSubscriptions {
    return new ReportSubscriptions(services.databases.get<ReportDatabase>('flow'));
  }

  /** Idempotent: subscribing again only refreshes the address. */
  async subscribe(userId: number, email: string): Promise<void> {
    if (await this.#refresh(userId, email)) return;
    try {
      await this.connection.db.insertInto('report_subscriptions').values({ user_id: userId, email, created_at: now(), last_sent_on: null }).execute();
    } catch (error) {
      // Two requests raced: the other one inserted the row, which is all we wanted.
      if (!isUniqueViolation(error)) throw error;
      await this.#refresh(userId, email);
    }
  }

  /** Idempotent: false when there was no subscription. */
  async unsubscribe(userId: number): Promise<boolean> {
    const result = await this.connection.db.deleteFrom('report_subscriptions').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async isSubscribed(userId: number): Promise<boolean> {
    const row = await this.connection.db.selectFrom('report_subscriptions').select('id').where('user_id', '=', userId).executeTakeFirst();
    return row !== undefined;
  }

  /** Subscribers not yet sent the report of `date`, oldest subscription first. */
  async pending(date: string): Promise<ReportSubscription[]> {
    const rows = await this.connection.db
      .selectFrom('report_subscriptions')
      .select(['user_id', 'email', 'last_sent_on'])
      .where((eb) => eb.or([eb('last_sent_on', 'is', null), eb('last_sent_on', '!=', date)]))
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ userId: Number(r.user_id), email: r.email, lastSentOn: r.last_sent_on }));
  }

  async markSent(userId: number, date: string): Promise<void> {
    await this.connection.db.updateTable('report_subscriptions').set({ last_sent_on: date }).where('user_id', '=', userId).execute();
  }

  async #refresh(userId: number, email: string): Promise<boolean> {
    const existing = await this.connection.db.selectFrom('report_subscriptions').select(['id', 'email']).where('user_id', '=', userId).executeTakeFirst();
    if (!existing) return false;
    if (existing.email !== email) await this.connection.db.updateTable('report_subscriptions').set({ email }).where('id', '=', existing.id).execute();
    return true;
  }
}
