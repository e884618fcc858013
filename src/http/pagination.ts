import { Type, type Static } from '@sinclair/typebox';
import { badRequest } from './errors.ts';
import { MAX_ID } from './params.ts';

/** `?cursor=&limit=` on every list endpoint (DESIGN §4: `{"data":[…],"next":…}`). */
export const PageQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 25 }),
});
export type PageQuery = Static<typeof PageQuery>;

/** Opaque to clients: the last id of the previous page (lists are newest-first by id). */
export function encodeCursor(lastId: number): string {
  return Buffer.from(`id:${lastId}`).toString('base64url');
}

/** The id to continue before; a cursor that is not one of ours is a 400. */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const match = /^id:([1-9][0-9]{0,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const id = match ? Number(match[1]) : NaN;
  // Node's base64 decoder skips junk characters, so only an exact re-encoding counts as ours.
  if (!(id <= MAX_ID) || encodeCursor(id) !== cursor) {
    throw badRequest('The cursor is not valid: use the `next` value of the previous page.', { cursor: 'is not a valid cursor' });
  }
  return id;
}

/** Builds `{data, next}` from a query that fetched `limit + 1` rows. */
export function page<T extends { id: number }, R>(rows: readonly T[], limit: number, toJson: (row: T) => R): { data: R[]; next: string | null } {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { data: shown.map(toJson), next: more ? encodeCursor(shown[shown.length - 1]!.id) : null };
}
