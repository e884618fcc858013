import type { FastifyReply, FastifyRequest } from 'fastify';
import { can, type Principal } from '../auth/rbac.ts';
import { SignIn } from '../auth/signin.ts';
import type { Services } from '../platform/services.ts';
import { forbidden, HttpError, unauthenticated } from './errors.ts';
import { appFromHost, appUrl, isForeignOrigin } from './hosts.ts';
import type { SafeHtml } from './html.ts';
import { layout } from './layout.ts';
import { type Session, type SessionManager } from './session.ts';
import { startSession } from './session-plugin.ts';

/**
 * What an app's routes get from the platform: services, the signed-in user and
 * permission checks, cross-host URLs, and the shared page shell.
 */
export class AppContext {
  readonly #principals = new WeakMap<FastifyRequest, Promise<Principal | undefined>>();
  /** One instance per server, so the sign-in API and form share lockout counters. */
  readonly signIn: SignIn;

  constructor(
    readonly services: Services,
    /** Every app, for navigation and links across hosts. */
    readonly apps: readonly { readonly name: string; readonly title: string }[],
    /** Sessions beyond the request's own: a user's list, revocation. */
    readonly sessions: SessionManager,
  ) {
    this.signIn = new SignIn(services);
  }

  get domain(): string {
    return this.services.config.domain;
  }

  /** The signed-in user with their permissions (once per request), or undefined. */
  user(request: FastifyRequest): Promise<Principal | undefined> {
    let principal = this.#principals.get(request);
    if (!principal) {
      principal = this.#resolve(request);
      this.#principals.set(request, principal);
    }
    return principal;
  }

  async requireUser(request: FastifyRequest): Promise<Principal> {
    const principal = await this.user(request);
    if (!principal) throw unauthenticated();
    return principal;
  }

  /** 401 when signed out; 403 (and an audit entry) when the permission is missing. */
  async requirePermission(request: FastifyRequest, permission: string): Promise<Principal> {
    const principal = await this.requireUser(request);
    if (!can(principal, permission)) throw await this.deny(request, principal, permission);
    return principal;
  }

  /**
   * Records a denial in the audit log and returns the 403 to throw: for a missing permission,
   * and for rules on top of it (an editor touching someone else's item needs `…manage`).
   */
  async deny(
    request: FastifyRequest,
    principal: Principal,
    permission: string,
    options: { message?: string; details?: Record<string, unknown> } = {},
  ): Promise<HttpError> {
    await this.services.audit.record('rbac.denied', {
      actorId: principal.id,
      subject: permission,
      ip: request.ip,
      details: { method: request.method, path: request.originalUrl, ...options.details },
    });
    return options.message ? new HttpError(403, 'forbidden', options.message) : forbidden(permission);
  }

  /**
   * Refuses a sign-in posted from a page outside the app hosts (login CSRF: a foreign form
   * would sign the browser into the attacker's account). Requests without Origin or Referer pass.
   */
  refuseForeignOrigin(request: FastifyRequest): void {
    if (isForeignOrigin(request, this.domain, this.#appNames)) {
      throw new HttpError(403, 'cross_site_request', 'Sign-in is only accepted from the Marg app pages (the Origin or Referer is another site).');
    }
  }

  get #appNames(): ReadonlySet<string> {
    return new Set(this.apps.map((a) => a.name));
  }

  session(request: FastifyRequest): Session {
    return startSession(request, this.sessions);
  }

  /** Signs the request's session in as `userId` (a new id), noting the client for the owner's session list. */
  signInSession(request: FastifyRequest, userId: number): Session {
    const session = this.session(request);
    session.signIn(userId, { ip: request.ip, userAgent: request.headers['user-agent'] });
    return session;
  }

  url(request: FastifyRequest, app: string, path = '/'): string {
    return appUrl(request, this.domain, app, path);
  }

  signInUrl(request: FastifyRequest, next?: string): string {
    // Back to this page, on its app's host as configuration spells it (never the Host header as sent).
    const here = appFromHost(request.headers.host, this.domain, new Set(this.apps.map((a) => a.name)));
    const target = next ?? (here ? this.url(request, here, request.originalUrl) : request.originalUrl);
    return this.url(request, this.signInApp, `/signin?next=${encodeURIComponent(target)}`);
  }

  /** The app that serves /signin (the `sign-in` duty; the first app when none takes it). */
  get signInApp(): string {
    return this.services.config.layout.signInApp ?? this.apps[0]?.name ?? '';
  }

  /** Renders a page inside the shared shell (starting a session so its forms carry a CSRF token). */
  async page(request: FastifyRequest, reply: FastifyReply, input: { title: string; body: SafeHtml; status?: number }): Promise<FastifyReply> {
    const user = await this.user(request);
    const session = this.session(request);
    const app = request.routeOptions.url?.split('/')[1];
    const markup = layout({
      title: input.title,
      body: input.body,
      app,
      apps: this.apps.map((a) => ({ name: a.name, title: a.title, url: this.url(request, a.name) })),
      user,
      csrfToken: session.csrfToken,
      signInUrl: this.signInUrl(request),
    });
    return reply.code(input.status ?? 200).type('text/html; charset=utf-8').send(markup.value);
  }

  async #resolve(request: FastifyRequest): Promise<Principal | undefined> {
    const userId = request.session?.userId;
    if (userId === undefined) return undefined;
    const principal = await this.services.rbac.principal(userId);
    // The user was deleted: the session no longer stands for anyone.
    if (!principal) request.session?.destroy();
    return principal;
  }
}
