import type { DatabaseConnection } from '../database/contract.ts';
import { isUniqueViolation } from '../database/errors.ts';
import { insertGetId, now } from '../database/schema.ts';
import { hashPassword } from './passwords.ts';
import type { RbacDatabase } from './rbac-schema.ts';

export interface User {
  readonly id: number;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
}

export class DuplicateEmailError extends Error {
  constructor(email: string) {
    super(`a user with email ${email} already exists`);
  }
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Users live in the shared RBAC database so every app can resolve the signed-in user. */
export class Users {
  constructor(private readonly connection: DatabaseConnection<RbacDatabase>) {}

  async create(input: { email: string; name: string; password: string }): Promise<User> {
    const email = normaliseEmail(input.email);
    if (await this.findByEmail(email)) throw new DuplicateEmailError(email);
    const at = now();
    const passwordHash = await hashPassword(input.password);
    // The check above gives the common case a clear error; the unique index settles a race.
    const id = await insertGetId(
      this.connection.db.insertInto('users').values({ email, name: input.name.trim(), password_hash: passwordHash, created_at: at, updated_at: at }),
      this.connection.dialect,
    ).catch((error: unknown) => {
      throw isUniqueViolation(error) ? new DuplicateEmailError(email) : error;
    });
    return { id, email, name: input.name.trim(), createdAt: at };
  }

  async setPassword(id: number, password: string): Promise<void> {
    await this.connection.db
      .updateTable('users')
      .set({ password_hash: await hashPassword(password), updated_at: now() })
      .where('id', '=', id)
      .execute();
  }

  async setName(id: number, name: string): Promise<void> {
    await this.connection.db.updateTable('users').set({ name: name.trim(), updated_at: now() }).where('id', '=', id).execute();
  }

  /** Disables (or enables) the account; returns whether it existed. Sessions and tokens are the caller's to end. */
  async setDisabled(id: number, disabled: boolean): Promise<boolean> {
    const result = await this.connection.db
      .updateTable('users')
      .set({ disabled_at: disabled ? now() : null, updated_at: now() })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The ids among `ids` whose accounts are disabled. */
  async disabledAmong(ids: readonly number[]): Promise<Set<number>> {
    if (ids.length === 0) return new Set();
    const rows = await this.connection.db.selectFrom('users').select('id').where('id', 'in', [...ids]).where('disabled_at', 'is not', null).execute();
    return new Set(rows.map((r) => Number(r.id)));
  }

  /** Deletes the user (their role grants and tokens go with them, by foreign key). */
  async delete(id: number): Promise<boolean> {
    await this.connection.db.deleteFrom('user_roles').where('user_id', '=', id).execute();
    await this.connection.db.deleteFrom('personal_access_tokens').where('user_id', '=', id).execute();
    const result = await this.connection.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The stored password hash of a user by id (password change and reset tokens), with the disabled flag. */
  async secretOf(id: number): Promise<{ user: User; passwordHash: string; disabled: boolean } | undefined> {
    const row = await this.connection.db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'created_at', 'password_hash', 'disabled_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash, disabled: row.disabled_at !== null };
  }

  async find(id: number): Promise<User | undefined> {
    const row = await this.connection.db.selectFrom('users').select(['id', 'email', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.#byEmail(email);
    return row && toUser(row);
  }

  /** The stored hash, for sign-in only. */
  async credentials(email: string): Promise<{ user: User; passwordHash: string; disabled: boolean } | undefined> {
    const row = await this.#byEmail(email);
    return row && { user: toUser(row), passwordHash: row.password_hash, disabled: row.disabled_at !== null };
  }

  /** Newest first, `limit` per page; `before` is the last id of the previous page. */
  async list(limit: number, before?: number): Promise<User[]> {
    let query = this.connection.db.selectFrom('users').select(['id', 'email', 'name', 'created_at']).orderBy('id', 'desc').limit(limit);
    if (before !== undefined) query = query.where('id', '<', before);
    return (await query.execute()).map(toUser);
  }

  async count(): Promise<number> {
    const row = await this.connection.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  #byEmail(email: string) {
    return this.connection.db
      .selectFrom('users')
      .select(['id', 'email', 'name', 'created_at', 'password_hash', 'disabled_at'])
      .where('email', '=', normaliseEmail(email))
      .executeTakeFirst();
  }
}

function toUser(row: { id: number; email: string; name: string; created_at: string }): User {
  return { id: Number(row.id), email: row.email, name: row.name, createdAt: row.created_at };
}
