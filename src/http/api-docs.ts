import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { MargFastify } from '../platform/app-module.ts';
import type { AppContext } from './app-context.ts';
import { apiDocsPage, type DocOperation } from './api-docs-page.ts';

interface OpenApiDocument {
  readonly openapi: string;
  readonly info: object;
  readonly paths?: Record<string, Record<string, DocOperation>>;
  readonly [key: string]: unknown;
}

/**
 * Collects every route's schema (@fastify/swagger); register before the apps' routes.
 * The document is built once, on the first request for it.
 */
export async function registerApiDocs(server: FastifyInstance, version: string): Promise<void> {
  await server.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Marg', version, description: 'Each app host serves its own part at /api/docs.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A personal access token (marg_pat_…), from POST /api/tokens on the accounts host.' },
          session: { type: 'apiKey', in: 'cookie', name: 'marg_session', description: 'The browser session; writes also need X-CSRF-Token.' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    // Only the JSON API is documented: pages, assets and health checks are not for clients.
    hiddenTag: 'hidden',
  });
}

/**
 * `GET /api/docs` on an app host: the OpenAPI 3 document of that app's `/api` routes, generated
 * from their TypeBox schemas, with the app's path prefix (`/flow`) taken off, as clients see them.
 */
export async function apiDocsRoute(app: MargFastify, opts: { appName: string; title: string; ctx: AppContext }): Promise<void> {
  let document: OpenApiDocument | undefined;
  app.get('/api/docs', { schema: { hide: true } }, async (request, reply) => {
    document ??= appDocument(app.swagger() as unknown as OpenApiDocument, opts.appName, opts.title);
    // A browser (it asks for text/html) gets the same document as tables; clients get the JSON.
    if (String(request.headers.accept ?? '').includes('text/html')) {
      return opts.ctx.page(request, reply, { title: 'API', body: apiDocsPage(`Marg ${opts.title} API`, document.paths ?? {}) });
    }
    return reply.header('cache-control', 'public, max-age=300').send(document);
  });
}

function appDocument(whole: OpenApiDocument, appName: string, title: string): OpenApiDocument {
  const prefix = `/${appName}`;
  const paths: Record<string, Record<string, DocOperation>> = {};
  for (const [path, operations] of Object.entries(whole.paths ?? {})) {
    if (!path.startsWith(`${prefix}/api/`) && path !== `${prefix}/api`) continue;
    const own = path.slice(prefix.length);
    if (own === '/api/docs') continue;
    paths[own] = Object.fromEntries(Object.entries(operations).map(([method, operation]) => [method, withOptionalDefaults(operation)]));
  }
  return { ...whole, info: { ...whole.info, title: `Marg ${title} API` }, paths };
}

/** A query parameter with a default (`limit`) may be left out: TypeBox marks it required, the API does not need it. */
function withOptionalDefaults(operation: DocOperation): DocOperation {
  if (!operation.parameters) return operation;
  return { ...operation, parameters: operation.parameters.map((p) => (p.required && p.schema?.default !== undefined ? { ...p, required: false } : p)) };
}
