import { createHash, randomBytes } from 'node:crypto';
import type { DatabaseConnection } from '../database/contract.ts';
import { insertGetId, now } from '../database/schema.ts';
import type { Principal } from './rbac.ts';
import type { RbacDatabase } from './rbac-schema.ts';

/**
 * The recognisable start of every personal access token, so that secret scanners (and people)
 * can tell one in a paste or a log: `marg_pat_` then 43 base64url characters (256 random bits).
 */
export const TOKEN_PREFIX = 'marg_pat_';
const TOKEN_PATTERN = /^marg_pat_[A-Za-z0-9_-]{43}$/;
/** `*`: every permission the user holds at the time of each request (never more). */
export const ALL_ABILITIES = '*';
/** last_used_at is written at most this often per token: a write per request would cost more than the lookup. */
const LAST_USED_EVERY_MS = 60_000;

/** A token as its owner sees it (`GET /api/tokens`); never the secret. */
export interface AccessTokenInfo {
  readonly id: number;
  readonly name: string;
  readonly abilities: readonly string[];
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly createdAt: string;
}

/** What a request authenticated by a token carries. */
export interface TokenIdentity {
  readonly tokenId: number;
  readonly userId: number;
  readonly abilities: readonly string[];
}

export type TokenCheck = { readonly ok: true; readonly identity: TokenIdentity } | { readonly ok: false; readonly reason: 'malformed' | 'unknown' | 'expired' };

/**
 * Personal access tokens (as Laravel Sanctum's): each belongs to a user, carries abilities
 * (permission strings or `*`), may expire, and is stored as the SHA-256 of its secret.
 *
 * SHA-256 and not argon2: the secret is 256 random bits, so there is nothing to guess and no
 * dictionary to slow down; a fast hash lets every API request look the token up by an index
 * (argon2's salt would need the id in the token and ~20 ms of CPU per request).
 */
export class AccessTokens {
  readonly #lastUsedWritten = new Map<number, number>();

  constructor(private readonly connection: DatabaseConnection<RbacDatabase>) {}

  /** Creates a token; the plain-text token is returned here only. */
  async create(userId: number, input: { name: string; abilities: readonly string[]; expiresAt?: string | undefined }): Promise<{ info: AccessTokenInfo; token: string }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const createdAt = now();
    const abilities = [...new Set(input.abilities)].sort();
    const id = await insertGetId(
      this.connection.db.insertInto('personal_access_tokens').values({
        user_id: userId,
        name: input.name,
        token_hash: hashToken(token),
        abilities: JSON.stringify(abilities),
        expires_at: input.expiresAt ?? null,
        created_at: createdAt,
      }),
      this.connection.dialect,
    );
    return { token, info: { id, name: input.name, abilities, lastUsedAt: null, expiresAt: input.expiresAt ?? null, createdAt } };
  }

  async listOf(userId: number): Promise<AccessTokenInfo[]> {
    const rows = await this.connection.db.selectFrom('personal_access_tokens').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').execute();
    return rows.map(toInfo);
  }

  /** Revokes one of the user's tokens; false when they have no such token. */
  async revoke(userId: number, id: number): Promise<AccessTokenInfo | undefined> {
    const row = await this.connection.db.selectFrom('personal_access_tokens').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    if (!row) return undefined;
    await this.connection.db.deleteFrom('personal_access_tokens').where('id', '=', id).execute();
    return toInfo(row);
  }

  /** Looks a presented token up (by its hash); notes its use at most once a minute. */
  async check(token: string): Promise<TokenCheck> {
    if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'malformed' };
    const row = await this.connection.db
      .selectFrom('personal_access_tokens')
      .select(['id', 'user_id', 'abilities', 'expires_at', 'last_used_at'])
      .where('token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    const at = Date.now();
    if (row.expires_at !== null && Date.parse(row.expires_at) <= at) return { ok: false, reason: 'expired' };
    const id = Number(row.id);
    const lastUsed = Math.max(this.#lastUsedWritten.get(id) ?? 0, row.last_used_at ? Date.parse(row.last_used_at) : 0);
    if (at - lastUsed >= LAST_USED_EVERY_MS) {
      this.#lastUsedWritten.set(id, at);
      if (this.#lastUsedWritten.size > 10_000) this.#lastUsedWritten.clear();
      await this.connection.db.updateTable('personal_access_tokens').set({ last_used_at: new Date(at).toISOString() }).where('id', '=', id).execute();
    }
    return { ok: true, identity: { tokenId: id, userId: Number(row.user_id), abilities: parseAbilities(row.abilities) } };
  }
}

/** What a token may do: its abilities intersected with what its user may do right now. */
export function scopedPrincipal(principal: Principal, abilities: readonly string[]): Principal {
  if (abilities.includes(ALL_ABILITIES)) return principal;
  const allowed = new Set(abilities);
  return { ...principal, permissions: principal.permissions.filter((p) => allowed.has(p)) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function parseAbilities(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((a): a is string => typeof a === 'string') : [];
  } catch {
    return [];
  }
}

function toInfo(row: { id: number; name: string; abilities: string; last_used_at: string | null; expires_at: string | null; created_at: string }): AccessTokenInfo {
  return {
    id: Number(row.id),
    name: row.name,
    abilities: parseAbilities(row.abilities),
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
  };
}
