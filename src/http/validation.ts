import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// Bodies are checked as sent: a number where a string belongs is a 400, never silently
// converted. Query strings and path params are text by nature, so they are coerced.
const bodies = addFormats.default(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }));
const params = addFormats.default(new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }));

// Ajv coerces any text that Number() accepts ("1e3", "0x10", " 7"); an integer in a URL must be plain digits.
const PLAIN_INTEGER = /^-?[0-9]+$/;

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (httpPart === 'body') return bodies.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  const compiled = params.compile(schema as object);
  const integers = integerProperties(schema);
  if (integers.length === 0) return compiled as ReturnType<FastifySchemaCompiler<unknown>>;
  const validate = ((data: unknown) => {
    const record = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
    const bad = integers.filter((name) => typeof record[name] === 'string' && !PLAIN_INTEGER.test(record[name] as string));
    if (bad.length > 0) {
      validate.errors = bad.map((name) => integerError(name));
      return false;
    }
    const ok = compiled(data);
    validate.errors = compiled.errors ?? null;
    return ok;
  }) as ValidateFunction;
  return validate as ReturnType<FastifySchemaCompiler<unknown>>;
};

function integerProperties(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

function integerError(name: string): ErrorObject {
  return { instancePath: `/${name}`, schemaPath: '#/type', keyword: 'type', params: { type: 'integer' }, message: 'must be an integer' };
}
