import helmet from 'helmet';

/**
 * Security headers (helmet) with a CSP for the pages, and HSTS behind TLS. Helmet's headers do
 * not depend on the request: they are computed once and set as one object per request
 * (running helmet's middleware per request cost 7-13% of a request's CPU, bench/).
 */
export const HSTS = 'max-age=31536000; includeSubDomains';

/** Helmet's headers as one object (lower-case names), for a request hook to set at once. */
export function securityHeaderObject(domain: string, realtimeHost?: string): Readonly<Record<string, string>> {
  return Object.freeze(Object.fromEntries(securityHeaderList(domain, realtimeHost).map(([name, value]) => [name.toLowerCase(), value])));
}

/**
 * The same headers as a list, also for the answers written straight to the socket when Node's HTTP
 * parser refuses a request (431, a malformed request line): there is no request to hook into.
 */
export function securityHeaderList(domain: string, realtimeHost?: string): ReadonlyArray<readonly [string, string]> {
  const headers: Array<readonly [string, string]> = [];
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => void headers.push([name, String(value)]),
    removeHeader: () => {},
  };
  helmetFor(domain, realtimeHost)({ headers: {} } as never, response as never, () => {});
  return headers;
}

function helmetFor(domain: string, realtimeHost?: string) {
  // Live pages open a WebSocket to the realtime host (ws.<domain> unless REVERB_HOST says otherwise).
  const sockets = [`ws://*.${domain}:*`, `wss://*.${domain}:*`, ...(realtimeHost && !realtimeHost.endsWith(`.${domain}`) ? [`ws://${realtimeHost}:*`, `wss://${realtimeHost}:*`] : [])];
  return helmet({
    hsts: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        // The header shows the user's avatar from the accounts host.
        imgSrc: ["'self'", 'data:', `*.${domain}:*`],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'", ...sockets],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'self'"],
        // Sign-in posts to the accounts host and redirects back to the app the user came from.
        formAction: ["'self'", `*.${domain}:*`],
      },
    },
  });
}
