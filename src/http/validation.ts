import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import { HttpError } from './errors.ts';

// Bodies are checked as sent: a number where a string belongs is a 400, never silently
// converted. Query strings and path params are text by nature, so they are coerced.
const bodies = addFormats.default(new Ajv({ allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }));
const params = addFormats.default(new Ajv({ allErrors: true, coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }));

/** A validation error lists at most this many fields, each name and message cut to these lengths. */
const MAX_ERROR_FIELDS = 20;
const MAX_FIELD_NAME = 100;
const MAX_FIELD_MESSAGE = 200;

// Ajv coerces any text that Number() accepts ("1e3", "0x10", " 7"); an integer in a URL must be plain digits.
const PLAIN_INTEGER = /^-?[0-9]+$/;

type Validator = ReturnType<FastifySchemaCompiler<unknown>>;

export interface ValidatorCompiler {
  /** For `server.setValidatorCompiler`: returns at once; the schema is compiled on first use. */
  readonly compile: FastifySchemaCompiler<unknown>;
  /**
   * Compiles every validator not used yet, a few per turn of the event loop, so requests are
   * served in between; resolves with the schemas that failed to compile (none, normally).
   */
  compilePending(): Promise<Error[]>;
}

/**
 * Route validators compiled on first use instead of at registration: compiling every route's
 * schema was about a fifth of a web process's boot (ajv generates and evaluates code per schema),
 * for routes most of which a node does not serve in its first seconds. Once the server listens,
 * compilePending() compiles the rest in the background, so a broken schema still shows at start.
 */
export function createValidatorCompiler(): ValidatorCompiler {
  const pending = new Set<() => ValidateFunction>();
  const lazily = (build: () => ValidateFunction): Validator => {
    let compiled: ValidateFunction | undefined;
    const ready = () => {
      compiled ??= build();
      pending.delete(ready);
      return compiled;
    };
    pending.add(ready);
    const validate = ((data: unknown) => {
      // Once compiled, a request pays one check, not the pending-set bookkeeping.
      const fn = compiled ?? ready();
      const ok = fn(data);
      validate.errors = fn.errors ?? null;
      return ok;
    }) as ValidateFunction;
    return validate as Validator;
  };
  return {
    compile: ({ schema, httpPart }) => lazily(() => compileNow(schema, httpPart)),
    async compilePending() {
      const failures: Error[] = [];
      for (const ready of [...pending]) {
        try {
          ready();
        } catch (error) {
          failures.push(error as Error);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      return failures;
    },
  };
}

function compileNow(schema: unknown, httpPart: string | undefined): ValidateFunction {
  if (httpPart === 'body') return bodies.compile(schema as object);
  const compiled = params.compile(schema as object);
  const integers = integerProperties(schema);
  if (integers.length === 0) return compiled;
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
  return validate;
}

function integerProperties(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {};
  return Object.entries(properties)
    .filter(([, property]) => property.type === 'integer')
    .map(([name]) => name);
}

function integerError(name: string): ErrorObject {
  return { instancePath: `/${name}`, schemaPath: '#/type', keyword: 'type', params: { type: 'integer' }, message: 'must be an integer' };
}

/**
 * The 400 for a failed validation, bounded whatever was sent: at most MAX_ERROR_FIELDS fields
 * (wrong and missing ones first, unknown ones after, so a flood of unknown keys cannot hide the
 * real problem), names and messages cut short, the rest counted in the message.
 */
export function validationError(issues: readonly FastifySchemaValidationError[], context: string | undefined): HttpError {
  const fields = new Map<string, string>();
  let unlisted = 0;
  for (const issue of [...issues.filter((i) => !isUnknownField(i)), ...issues.filter(isUnknownField)]) {
    const params = issue.params as { missingProperty?: string; additionalProperty?: string };
    const field = clip(params.missingProperty ?? params.additionalProperty ?? issue.instancePath.replace(/^\//, '').replaceAll('/', '.'), MAX_FIELD_NAME);
    const message = params.additionalProperty ? 'is not an allowed field' : (issue.message ?? 'is invalid');
    const key = field || context || 'body';
    if (fields.has(key)) continue;
    if (fields.size < MAX_ERROR_FIELDS) fields.set(key, clip(message, MAX_FIELD_MESSAGE));
    else unlisted++;
  }
  const more = unlisted > 0 ? ` ${unlisted} more problem${unlisted === 1 ? ' is' : 's are'} not listed.` : '';
  return new HttpError(400, 'validation_failed', `Invalid ${context ?? 'request'}.${more}`, Object.fromEntries(fields));
}

function isUnknownField(issue: FastifySchemaValidationError): boolean {
  return (issue.params as { additionalProperty?: string }).additionalProperty !== undefined;
}

function clip(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
