import type { FastifyReply, FastifyRequest } from 'fastify';
import { scopedPrincipal } from '../auth/access-tokens.ts';
import { can, type Principal } from '../auth/rbac.ts';
import { SignIn } from '../auth/signin.ts';
import type { Services } from '../platform/services.ts';
import { forbidden, HttpError, unauthenticated } from './errors.ts';
import { appFromHost, appUrl, isForeignOrigin } from './hosts.ts';
import { routePath } from './route-path.ts';
import type { SafeHtml } from './html.ts';
import { layout, type LayoutInput, type PageAssets } from './layout.ts';
import { withTimeout } from '../support/timeout.ts';
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
  #avatar: { app: string; path: (userId: number) => string } | undefined;

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
    const here = this.appOf(request);
    if (next === undefined && here === this.signInApp && routePath(request) === `/${here}/signin`) {
      // Already on the sign-in page: keep where it was going to, rather than nesting it in another `next`.
      const query = request.query as { next?: unknown } | undefined;
      next = typeof query?.next === 'string' ? query.next : undefined;
      return this.url(request, this.signInApp, next ? `/signin?next=${encodeURIComponent(next)}` : '/signin');
    }
    const target = next ?? (here ? this.url(request, here, request.originalUrl) : request.originalUrl);
    return this.url(request, this.signInApp, `/signin?next=${encodeURIComponent(target)}`);
  }

  /** The app whose host the request came to (undefined for an unknown host). */
  appOf(request: FastifyRequest): string | undefined {
    return appFromHost(request.headers.host, this.domain, this.#appNames);
  }

  /** An app that serves user avatars (accounts) names the path of one, for the page header. */
  registerAvatars(app: string, path: (userId: number) => string): void {
    this.#avatar = { app, path };
  }

  /**
   * The shell around a page: the apps this user may see (each app where they hold a
   * permission, and the sign-in app where their account is), their avatar and name.
   */
  shell(request: FastifyRequest, user: Principal | undefined, csrfToken: string | undefined): Omit<LayoutInput, 'title' | 'body' | 'mainClass'> {
    const visible = user ? this.apps.filter((a) => a.name === this.signInApp || user.permissions.some((p) => p.startsWith(`${a.name}.`))) : this.apps;
    const here = this.appOf(request);
    const onSignIn = here === this.signInApp && /^\/[a-z0-9-]+\/signin$/.test(routePath(request));
    return {
      app: here,
      apps: visible.map((a) => ({ name: a.name, title: a.title, url: this.url(request, a.name) })),
      user,
      csrfToken,
      signInUrl: onSignIn ? undefined : this.signInUrl(request),
      avatarUrl: user && this.#avatar ? this.url(request, this.#avatar.app, this.#avatar.path(user.id)) : undefined,
      accountUrl: this.url(request, this.signInApp, '/'),
    };
  }

  /** The shell for an error page: the user when they can be found quickly, nothing when not (the page must render when things are broken). */
  async errorShell(request: FastifyRequest): Promise<Omit<LayoutInput, 'title' | 'body' | 'mainClass'> | undefined> {
    let user: Principal | undefined;
    try {
      user = request.session ? await withTimeout(this.user(request), 500) : undefined;
    } catch {
      user = undefined;
    }
    try {
      return this.shell(request, user, request.session?.csrfToken);
    } catch {
      return undefined;
    }
  }

  /** The app that serves /signin (the `sign-in` duty; the first app when none takes it). */
  get signInApp(): string {
    return this.services.config.layout.signInApp ?? this.apps[0]?.name ?? '';
  }

  /** Renders a page inside the shared shell (starting a session so its forms carry a CSRF token). */
  async page(request: FastifyRequest, reply: FastifyReply, input: { title: string; body: SafeHtml; status?: number; live?: boolean; assets?: PageAssets }): Promise<FastifyReply> {
    const realtime = this.services.config.realtime;
    const user = await this.user(request);
    const session = this.session(request);
    const markup = layout({ ...this.shell(request, user, session.csrfToken), title: input.title, body: input.body,
      // A page with live parts loads the live script when broadcasting is configured.
      ...(input.assets ? { assets: input.assets } : {}),
      ...(input.live && realtime.app ? { live: { key: realtime.app.key, host: realtime.host, port: realtime.clientPort, scheme: realtime.scheme } } : {}),
    });
    return reply.code(input.status ?? 200).type('text/html; charset=utf-8').send(markup.value);
  }

  async #resolve(request: FastifyRequest): Promise<Principal | undefined> {
    const token = request.accessToken;
    if (token) {
      const principal = await this.services.rbac.principal(token.userId);
      if (!principal) throw new HttpError(401, 'invalid_token', "The bearer token's account is disabled or deleted.", undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return scopedPrincipal(principal, token.abilities);
    }
    const userId = request.session?.userId;
    if (userId === undefined) return undefined;
    const principal = await this.services.rbac.principal(userId);
    // The user was deleted: the session no longer stands for anyone.
    if (!principal) request.session?.destroy();
    return principal;
  }
}
