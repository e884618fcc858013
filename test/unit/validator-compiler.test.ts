import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import { createValidatorCompiler } from '../../src/http/validation.ts';

const route = (schema: unknown, httpPart: string): FastifyRouteSchemaDef<unknown> => ({ schema, httpPart, method: 'POST', url: '/x' }) as FastifyRouteSchemaDef<unknown>;
// Not a JSON schema ajv can compile: `type` must name a JSON type.
const BROKEN = { type: 'no-such-type' };

describe('createValidatorCompiler', () => {
  it('compiles a schema on first use, then validates with it (errors set and cleared)', () => {
    const validators = createValidatorCompiler();
    const validate = validators.compile(route(Type.Object({ title: Type.String() }, { additionalProperties: false }), 'body')) as ((data: unknown) => boolean) & { errors?: unknown[] | null };
    assert.equal(validate({ title: 7 }), false);
    assert.ok(validate.errors && validate.errors.length > 0);
    assert.equal(validate({ title: 'a' }), true);
    assert.equal(validate.errors, null);
  });

  it('keeps the integer check of path parameters: plain digits only', () => {
    const validate = createValidatorCompiler().compile(route(Type.Object({ id: Type.Integer() }), 'params')) as (data: unknown) => boolean;
    assert.equal(validate({ id: '12' }), true);
    assert.equal(validate({ id: '1e3' }), false);
    assert.equal(validate({ id: '0x10' }), false);
  });

  it('does not compile at registration: a broken schema fails on use, and compilePending reports it', async () => {
    const validators = createValidatorCompiler();
    const broken = validators.compile(route(BROKEN, 'body')) as (data: unknown) => boolean;
    validators.compile(route(Type.Object({ a: Type.String() }), 'querystring'));
    assert.throws(() => broken({}), /no-such-type|schema is invalid/);
    const failures = await validators.compilePending();
    // The good one compiled quietly; the broken one is reported, and again next time: it never compiles.
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /no-such-type|schema is invalid/);
    assert.equal((await validators.compilePending()).length, 1);
  });

  it('compilePending leaves nothing pending when every schema compiles', async () => {
    const validators = createValidatorCompiler();
    for (const part of ['body', 'querystring', 'params']) validators.compile(route(Type.Object({ a: Type.String() }), part));
    assert.deepEqual(await validators.compilePending(), []);
    assert.deepEqual(await validators.compilePending(), []);
  });
});
