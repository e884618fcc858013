import { parse as parseQueryString } from 'node:querystring';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { HttpError } from './errors.ts';

/** More fields and list items than any form or API body needs (the largest, a user's roles, is 50). */
export const MAX_BODY_ENTRIES = 1_000;
/** Nesting deeper than any body needs. */
export const MAX_BODY_DEPTH = 32;

const tooMany = () =>
  new HttpError(400, 'too_many_fields', `The body has more than ${MAX_BODY_ENTRIES} fields and list items; no request needs that many.`);
const tooDeep = () => new HttpError(400, 'too_deeply_nested', `The body nests deeper than ${MAX_BODY_DEPTH} levels.`);

/**
 * Counts a JSON text's fields and list items (every `,` and `:` outside strings) and its nesting,
 * without parsing it: one pass over the characters, stopped at the first limit passed. Parsing
 * 80 000 keys alone costs ~0.1 s of CPU, and validating them far more, so an absurd body is
 * refused before either.
 */
export function jsonBodyProblem(text: string): HttpError | undefined {
  let entries = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    switch (c) {
      case 0x22: // "
        inString = true;
        break;
      case 0x7b: // {
      case 0x5b: // [
        if (++depth > MAX_BODY_DEPTH) return tooDeep();
        break;
      case 0x7d: // }
      case 0x5d: // ]
        depth--;
        break;
      case 0x2c: // ,
      case 0x3a: // :
        if (++entries > 2 * MAX_BODY_ENTRIES) return tooMany();
        break;
    }
  }
  return undefined;
}

/** A form body's fields are its `&`-separated pairs. */
export function formBodyProblem(text: string): HttpError | undefined {
  let pairs = 1;
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', at + 1)) {
    if (++pairs > MAX_BODY_ENTRIES) return tooMany();
  }
  return undefined;
}

/**
 * The JSON and form body parsers, each refusing a body with absurdly many fields (or, for
 * JSON, nesting) with a 400 before it is parsed, let alone validated. Otherwise Fastify's own
 * JSON parser (prototype poisoning refused), and @fastify/formbody with Node's query-string parser.
 */
export async function registerBodyParsers(server: FastifyInstance): Promise<void> {
  const parseJson = server.getDefaultJsonParser('error', 'error');
  server.removeContentTypeParser('application/json');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const problem = jsonBodyProblem(body as string);
    if (problem) {
      done(problem, undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
  await server.register(formbody, {
    parser: (text: string) => {
      const problem = formBodyProblem(text);
      if (problem) throw problem;
      // Node's parser (the same results as formbody's default, fast-querystring), without its silent cut at 1000 keys.
      return parseQueryString(text, '&', '=', { maxKeys: 0 });
    },
  });
}
