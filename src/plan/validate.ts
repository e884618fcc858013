import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The first few schema errors as one line (`/web/drivers/servers/signedInJson: Expected number`), or undefined when valid. */
export function firstErrors(schema: TSchema, value: unknown, limit = 3): string | undefined {
  const errors = [...Value.Errors(schema, value)];
  if (errors.length === 0) return undefined;
  return errors
    .slice(0, limit)
    .map((e) => `${e.path || '/'}: ${e.message}`)
    .join('; ');
}
