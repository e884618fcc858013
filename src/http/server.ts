import { isDatabaseUnavailable } from '../database/errors.ts';
import { isRedisUnavailable } from '../redis/errors.ts';
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { decodeAppKey } from '../config/app-key.ts';
import { healthRoutes } from '../observability/health.ts';
import { httpMetrics, routeLabeller } from '../observability/http-metrics.ts';
import type { AppModule, MargFastify } from '../platform/app-module.ts';
import type { Lifecycle } from '../platform/lifecycle.ts';
import type { Services } from '../platform/services.ts';
import { Encrypter } from '../support/encrypter.ts';
import { MaintenanceMode } from '../maintenance/mode.ts';
import { MaintenanceMonitor } from '../maintenance/monitor.ts';
import { MaintenanceSecrets } from '../maintenance/secrets.ts';
import { AppContext } from './app-context.ts';
import { assetRoutes } from './assets.ts';
import { liveAssetRoutes } from './live-assets.ts';
import { broadcastingAuthRoutes } from './broadcasting-auth.ts';
import { registerBodyParsers } from './body-guard.ts';
import { verifyCsrf } from './csrf.ts';
import { chartAssetRoutes } from './chart-assets.ts';
import { apiDocsRoute, registerApiDocs } from './api-docs.ts';
import { HttpError } from './errors.ts';
import { clientErrorHandler, clientErrorMessage, frameworkError, quotedUrl } from './framework-errors.ts';
import { appFromHost, isSharedPath, refuseForeignHosts } from './hosts.ts';
import { NODE_HEADER, nodeHeaderName } from './node-header.ts';
import { closeConnectionsWhileDraining, shuttingDown } from './drain-connections.ts';
import { refuseNulCharacters } from './nul-guard.ts';
import { HSTS, securityHeaderObject } from './security-headers.ts';
import { html } from './html.ts';
import { errorPage } from './layout.ts';
import { loggableUrl, maintenanceGate } from './maintenance.ts';
import { requestLimits } from './rate-limit.ts';
import { normalisePath, routePath } from './route-path.ts';
import { fastifyTrustProxy } from '../config/trusted-proxies.ts';
import { SessionManager } from './session.ts';
import { readWritePlugin } from './read-write-plugin.ts';
import { refuseInvalidTokens, sessionPlugin } from './session-plugin.ts';
import { sessionRoutes } from './session-routes.ts';
import { createValidatorCompiler, validationError } from './validation.ts';

const UNKNOWN_HOST_PREFIX = '/_unknown-host';
const ERROR_TITLES: Readonly<Record<number, string>> = { 401: 'Sign in first', 403: 'Forbidden', 404: 'Not found', 413: 'Request too large', 414: 'URL too long', 429: 'Too many requests', 503: 'Service unavailable' };
const CODE_TITLES: Readonly<Record<string, string>> = { maintenance: 'Down for maintenance' };
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the web role: every app on its own host name, sessions shared across them. */
export async function buildServer(services: Services, apps: readonly AppModule[], lifecycle: Lifecycle): Promise<MargFastify> {
  const { config } = services;
  if (!config.appKey) throw new Error('APP_KEY is not set: run `marg key:generate` (or `npm start`, which writes one to .env)');
  const appNames = new Set(apps.map((a) => a.name));
  if (config.trustedProxies === true) {
    services.logger.warn('TRUSTED_PROXIES=*: every peer may set the client IP and scheme (X-Forwarded-For/-Proto); only safe when nothing but your proxies can reach this node');
  }

  // MARG_NODE_HEADER: off unless asked for (a cluster's web nodes); undefined when off.
  const nodeName = nodeHeaderName(config);
  const securityHeaderValues = securityHeaderObject(config.domain, config.realtime.host);
  /** What every answer carries: the request id, the node's name, the security headers (HSTS only behind TLS). */
  const stampAnswer = (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('x-request-id', request.id);
    if (nodeName !== undefined) reply.header(NODE_HEADER, nodeName);
    reply.headers(securityHeaderValues);
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
  };
  const server = Fastify({
    loggerInstance: services.logger,
    // What Node's HTTP parser refuses (431, 414, not HTTP) and what Fastify refuses before routing
    // (a bad percent-escape, a path parameter too long) get Marg's error shape and headers too.
    clientErrorHandler: clientErrorHandler(config.domain, nodeName, (fields) => services.logger.info(fields, 'request refused by the HTTP parser')),
    frameworkErrors: (error, request, reply) => {
      // Fastify runs no hook for these requests: the headers every answer carries are added here.
      stampAnswer(request, reply);
      const refusal = frameworkError(error);
      if (refusal.statusCode >= 500) request.log.error({ err: error }, 'unhandled error');
      request.log.info({ method: request.method, url: quotedUrl(request.originalUrl), host: request.headers.host, status: refusal.statusCode, code: refusal.code }, 'request refused before routing');
      void sendError(request, reply, refusal, ctx);
    },
    bodyLimit: config.http.bodyLimit,
    // TRUSTED_PROXIES: only these peers' X-Forwarded-For/-Proto set request.ip and request.protocol (Secure cookies, HSTS).
    trustProxy: fastifyTrustProxy(config.trustedProxies),
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Host-based routing: `flow.<domain>/x` is routed as `/flow/x`; each app is a plugin under its prefix.
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      if (isSharedPath(url)) return url;
      const app = appFromHost(req.headers.host, config.domain, appNames);
      return `${app ? `/${app}` : UNKNOWN_HOST_PREFIX}${url}`;
    },
    // Requests that arrive while closing get shuttingDown() below, through the error handler.
    return503OnClosing: false,
    // One line per request (onResponse below) instead of Fastify's two: logging was the largest cost per request.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as MargFastify;

  const validators = createValidatorCompiler();
  server.setValidatorCompiler(validators.compile);
  // Validators not used by then are compiled in the background once the node takes requests.
  server.addHook('onListen', (done) => {
    void validators.compilePending().then((failures) => {
      for (const err of failures) services.logger.error({ err }, 'a route schema does not compile');
    });
    done();
  });
  // Fastify's default joins every validation error into the message, which the error handler never shows.
  server.setSchemaErrorFormatter((_errors, dataVar) => new Error(`Invalid ${dataVar}.`));
  const labelsOf = routeLabeller([...appNames]);
  await server.register(httpMetrics, { labelsOf });
  // The request line's fields are fixed and hold no secret (loggableUrl removes the URL's), so it
  // skips the redaction pass, which tripled the cost of the line (12 against 3.5 µs, measured).
  const requestLine = services.logger.child({}, { redact: [] });
  server.addHook('onResponse', async (request, reply) => {
    if (!services.logger.isLevelEnabled('info')) return;
    const { app, route } = labelsOf(request);
    requestLine.info(
      {
        reqId: request.id,
        method: request.method,
        url: loggableUrl(request),
        host: request.headers.host,
        app,
        route,
        // Who asked (undefined when signed out): the session's user, never the session itself.
        userId: request.session?.userId ?? request.accessToken?.userId,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
  server.addHook('onSend', closeConnectionsWhileDraining(lifecycle));

  const sessions = new SessionManager(
    services.sessions,
    config.session.encrypt ? new Encrypter(decodeAppKey(config.appKey), 'session') : undefined,
    config.session.lifetimeSeconds,
  );
  const ctx = new AppContext(services, apps, sessions);
  // Set before any plugin registers: each plugin context keeps the handlers it was registered under.
  server.setNotFoundHandler(async (request, reply) => {
    if (request.url.startsWith(UNKNOWN_HOST_PREFIX)) return unknownHost(request, reply, ctx);
    return sendError(request, reply, new HttpError(404, 'not_found', `Nothing at ${request.method} ${quotedUrl(request.originalUrl)}.`), ctx);
  });
  server.setErrorHandler(async (error: FastifyError, request, reply) => sendError(request, reply, toHttpError(error, request), ctx));

  await server.register(cookie);
  await registerBodyParsers(server);
  // One synchronous hook for what every answer carries (request id, node name, security headers)
  // and the refusal while closing: each hook Fastify runs costs its own callback or promise.
  // After the cookie parser's hook: a refused request's onSend hooks still read its cookies.
  let closing = false;
  server.addHook('onRequest', (request, reply, done) => {
    stampAnswer(request, reply);
    done(closing ? shuttingDown() : undefined);
  });
  server.addHook('preClose', async () => {
    closing = true;
  });

  if (Object.values(config.databases).some((db) => db.connection !== 'sqlite' && db.readHosts.length > 0)) {
    await server.register(readWritePlugin, { stickySeconds: config.db.stickySeconds });
  }
  await server.register(sessionPlugin, { manager: sessions, config: config.session, tokens: services.tokens });
  // Before anything builds a URL from the Host (pages, redirects, API bodies): only our hosts, /health* on any.
  // After the session is loaded, so that a refused request leaves it (and its cookie) alone.
  server.addHook('onRequest', refuseForeignHosts(config.domain, appNames, new Set(config.hostAliases), (request, reply, error) => sendError(request, reply, error, ctx)));
  // After the session is loaded (a 503 or 429 must leave it alone), before anything does work.
  const maintenance = new MaintenanceMonitor(new MaintenanceMode(services.cache, services.logger), services.logger);
  server.addHook('onRequest', maintenanceGate({ monitor: maintenance, secrets: new MaintenanceSecrets(decodeAppKey(config.appKey)), cookieDomain: config.session.domain }));
  const limits = requestLimits({
    store: services.rateLimits,
    apiPerMinute: config.limits.apiPerMinute,
    signinPerMinute: config.limits.signinPerMinute,
    onStoreError: (err) => services.logger.warn({ err }, 'rate-limit store: unspent API points not given back'),
  });
  if (limits) {
    server.addHook('onRequest', limits.limit);
    server.addHook('onClose', limits.close);
  }
  server.addHook('onRequest', refuseInvalidTokens);
  server.addHook('preValidation', refuseNulCharacters);
  server.addHook('preHandler', verifyCsrf);

  // Before any route: it records each route's schema as it is added (GET /api/docs on every app host).
  await registerApiDocs(server, '0.1.0');
  await server.register(healthRoutes, { services, lifecycle });
  await server.register(assetRoutes);
  await server.register(liveAssetRoutes);
  await server.register(chartAssetRoutes);
  for (const app of apps) {
    await server.register(
      async (scoped: MargFastify) => {
        await scoped.register(sessionRoutes, { ctx });
        await scoped.register(broadcastingAuthRoutes, { ctx, apps });
        await app.routes(scoped, ctx);
        await scoped.register(apiDocsRoute, { appName: app.name, title: app.title, ctx });
      },
      { prefix: `/${app.name}` },
    );
  }

  return server;
}

/** Every failure becomes a 4xx with a code; anything unexpected is a logged 500. */
function toHttpError(error: FastifyError, request: FastifyRequest): HttpError {
  if (error instanceof HttpError) return error;
  if (error.validation) return validationError(error.validation, error.validationContext);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new HttpError(status, clientErrorCode(error), clientErrorMessage(error, request.url, request.originalUrl));
  if (isRedisUnavailable(error) || isDatabaseUnavailable(error)) {
    // An outage, or a failover in progress (Sentinel: about 6 s; `marg db:promote`): the client retries.
    request.log.warn({ err: error }, 'backing service unavailable');
    return new HttpError(503, 'service_unavailable', 'A backing service does not answer right now. Try again shortly.', undefined, { 'retry-after': '5' });
  }
  request.log.error({ err: error }, 'unhandled error');
  return new HttpError(500, 'internal_error', 'Something went wrong on our side. It has been logged.');
}

function clientErrorCode(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'invalid_json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'payload_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'unsupported_media_type';
    default:
      return error.statusCode === 400 && error instanceof SyntaxError ? 'invalid_json' : 'bad_request';
  }
}

/** JSON for API paths and JSON clients; an HTML page (or a sign-in redirect) for browsers. */
async function sendError(request: FastifyRequest, reply: FastifyReply, error: HttpError, ctx: AppContext): Promise<FastifyReply> {
  if (error.headers) reply.headers(error.headers);
  if (wantsJson(request)) {
    const body = { error: { code: error.code, message: error.message, ...(error.fields ? { fields: error.fields } : {}) } };
    return reply.code(error.statusCode).type('application/json; charset=utf-8').send(body);
  }
  if (error.statusCode === 401 && request.method === 'GET') return reply.redirect(ctx.signInUrl(request), 302);
  const title = CODE_TITLES[error.code] ?? ERROR_TITLES[error.statusCode] ?? (error.statusCode >= 500 ? 'Server error' : 'Request refused');
  const shell = await ctx.errorShell(request);
  const page = errorPage({ status: error.statusCode, title, message: error.message, shell, ways: waysBack(request, ctx, error.statusCode, shell) });
  return reply.code(error.statusCode).type('text/html; charset=utf-8').send(page.value);
}

/** The links out of an error page: this app's home, and sign-in (as someone else) where that helps. */
function waysBack(request: FastifyRequest, ctx: AppContext, status: number, shell: Awaited<ReturnType<AppContext['errorShell']>>) {
  const ways: { href: string; label: string }[] = [];
  const here = shell?.apps.find((a) => a.name === shell.app);
  ways.push(here ? { href: here.url, label: `${here.title} home` } : { href: '/', label: 'Home' });
  if (status === 401 || status === 403) {
    ways.push({ href: ctx.signInUrl(request), label: shell?.user ? 'Sign in as someone else' : 'Sign in' });
  }
  return ways;
}

function wantsJson(request: FastifyRequest): boolean {
  // The route matched, or the path as the router decoded it (`/api` alone on the links host is routed as a slug).
  for (const path of [routePath(request), normalisePath(request.url)]) {
    if (/^\/[a-z0-9-]+\/(api(\/|$)|broadcasting\/auth$)/.test(path) || path.startsWith('/health')) return true;
  }
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

async function unknownHost(request: FastifyRequest, reply: FastifyReply, ctx: AppContext): Promise<FastifyReply> {
  const urls = ctx.apps.map((a) => ctx.url(request, a.name));
  const message = `This server answers on the app hosts: ${urls.join(', ')}.`;
  if (wantsJson(request)) return reply.code(404).send({ error: { code: 'unknown_host', message } });
  const links = html`<ul>${urls.map((u) => html`<li><a href="${u}">${u}</a></li>`)}</ul>`;
  return reply.code(404).type('text/html; charset=utf-8').send(errorPage({ status: 404, title: 'Unknown host', message: 'This server answers on the app hosts:', extra: links }).value);
}
