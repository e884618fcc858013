import { AssertionError } from 'node:assert';
import { request as httpRequest } from 'node:http';
import { CookieJar } from 'tough-cookie';
import { recordSecret } from './log-capture.ts';

export interface TestResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The body parsed as JSON (throws when it is not JSON); tests narrow it by asserting. */
  json<T = any>(): T;
}

export interface RequestOptions {
  readonly json?: unknown;
  readonly form?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** Send the XSRF-TOKEN cookie back as X-CSRF-Token (what a browser script would do). Default true. */
  readonly csrf?: boolean;
  /** Accept a 5xx (a health check that must answer 503); otherwise any 5xx fails the test. */
  readonly allowServerError?: boolean;
}

/** The `_csrf` field of a page's form: what a browser without scripts posts back. */
export function formCsrf(page: TestResponse): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new AssertionError({ message: `the page (status ${page.status}) has no form with a CSRF field` });
  return token;
}

/**
 * One browser against the test server: requests go to 127.0.0.1 on the server's port with
 * the app's Host header (`flow.marg.localhost:PORT`), and cookies live in one jar that
 * applies real domain rules, so a cookie set by one app host is sent to the others.
 */
export class HostClient {
  constructor(
    readonly port: number,
    readonly domain: string,
    readonly jar = new CookieJar(),
  ) {}

  /** The same browser (its cookies) talking to another node on `port`, as behind a load balancer. */
  onPort(port: number): HostClient {
    return new HostClient(port, this.domain, this.jar);
  }

  url(app: string, path: string): string {
    return `http://${app}.${this.domain}:${this.port}${path}`;
  }

  get(app: string, path: string, options: RequestOptions = {}) {
    return this.request('GET', app, path, options);
  }
  post(app: string, path: string, options: RequestOptions = {}) {
    return this.request('POST', app, path, options);
  }
  patch(app: string, path: string, options: RequestOptions = {}) {
    return this.request('PATCH', app, path, options);
  }
  delete(app: string, path: string, options: RequestOptions = {}) {
    return this.request('DELETE', app, path, options);
  }

  /** Posts a form the way a browser without scripts does: the `_csrf` field read from `pagePath`, no header. */
  async submitForm(app: string, pagePath: string, path: string, fields: Record<string, string>): Promise<TestResponse> {
    const page = await this.get(app, pagePath);
    return this.post(app, path, { form: { ...fields, _csrf: formCsrf(page) }, csrf: false });
  }

  async signIn(app: string, email: string, password: string): Promise<TestResponse> {
    recordSecret(password);
    const response = await this.post(app, '/api/session', { json: { email, password } });
    if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${response.text}`);
    return response;
  }

  cookie(name: string): string | undefined {
    return this.jar.getCookiesSync(this.url('accounts', '/')).find((c) => c.key === name)?.value;
  }

  /** Sends any Host header (an unknown host, say) instead of an app's. */
  async request(method: string, app: string, path: string, options: RequestOptions = {}, hostOverride?: string): Promise<TestResponse> {
    const url = this.url(app, path);
    const headers: Record<string, string> = { ...options.headers };
    const cookies = await this.jar.getCookieString(url);
    if (cookies) headers.cookie = cookies;
    if (options.csrf !== false && method !== 'GET') {
      const token = this.cookie('XSRF-TOKEN');
      if (token && !headers['x-csrf-token']) headers['x-csrf-token'] = token;
    }
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] ??= 'application/json';
    } else if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    headers.host = hostOverride ?? `${app}.${this.domain}:${this.port}`;
    // As browsers and curl send it (without it, Node would send the body chunked).
    if (body !== undefined) headers['content-length'] ??= String(Buffer.byteLength(body));
    const response = await send(this.port, method, path, headers, body);
    // A 5xx is always a bug (DESIGN §4): every test request checks it.
    if (response.status >= 500 && !options.allowServerError) {
      throw new AssertionError({ message: `${method} ${app}${path} answered ${response.status}: ${response.text.slice(0, 500)}` });
    }
    const setCookie = response.headers['set-cookie'];
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      // Session ids, CSRF tokens, bypass cookies: none may ever be logged (test/support/log-capture.ts).
      const value = line.split(';', 1)[0]!.split('=').slice(1).join('=');
      recordSecret(value);
      if (value.includes('%')) recordSecret(safeDecode(value));
      await this.jar.setCookie(line, url);
    }
    return response;
  }
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body: string | Buffer | undefined): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text),
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
