import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// Bodies are checked as sent: a number where a string belongs is a 400, never silently
// converted. Query strings and path params are text by nature, so they are coerced.
const bodies = addFormats.default(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }));
const params = addFormats.default(new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }));

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const compiled: ValidateFunction = (httpPart === 'body' ? bodies : params).compile(schema as object);
  return compiled as ReturnType<FastifySchemaCompiler<unknown>>;
};
