import { Type } from '@sinclair/typebox';

/** The largest id any supported database hands out (PostgreSQL `serial`): larger ids are 400s, not driver errors. */
export const MAX_ID = 2_147_483_647;

/** A row id, in a path or a field. */
export const Id = Type.Integer({ minimum: 1, maximum: MAX_ID });

/** `/:id` path parameters. */
export const IdParams = Type.Object({ id: Id });
