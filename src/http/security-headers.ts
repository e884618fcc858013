import type { onRequestHookHandler } from 'fastify';
import helmet from 'helmet';

/**
 * Security headers (helmet) with a CSP for the pages, and HSTS behind TLS. The middleware is built once here:
 * @fastify/helmet rebuilds it on every request, which cost 7-13% of a request's CPU (bench/).
 */
export function securityHeaders(domain: string): onRequestHookHandler {
  const apply = helmetFor(domain);
  return (request, reply, done) => {
    // HSTS only where it means something: behind TLS.
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    apply(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  };
}

/**
 * The same headers as a list, for the answers written straight to the socket when Node's HTTP
 * parser refuses a request (431, a malformed request line): there is no request to hook into.
 */
export function securityHeaderList(domain: string): ReadonlyArray<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [];
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => void headers.push([name, String(value)]),
    removeHeader: () => {},
  };
  helmetFor(domain)({ headers: {} } as never, response as never, () => {});
  return headers;
}

function helmetFor(domain: string) {
  return helmet({
    hsts: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'self'"],
        // Sign-in posts to the accounts host and redirects back to the app the user came from.
        formAction: ["'self'", `*.${domain}:*`],
      },
    },
  });
}
