import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LoadTarget } from './http-load.ts';

/** A refusal from the target (wrong password, unknown host): the run stops before anything is killed. */
export class SignInError extends Error {}

/**
 * Signs in through the balancer (`POST /api/session`) and returns the Cookie header the load
 * sends, so its requests are signed in as a user's would be (session store included).
 */
export function signIn(target: LoadTarget, email: string, password: string): Promise<string> {
  const body = JSON.stringify({ email, password });
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: target.url.hostname,
        port: target.url.port || undefined,
        method: 'POST',
        path: '/api/session',
        headers: { host: target.host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () => {
          if (res.statusCode !== 200) return reject(new SignInError(`signing in as ${email} on ${target.host} answered ${res.statusCode}: ${text.slice(0, 200)}`));
          const cookie = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).join('; ');
          if (!cookie) return reject(new SignInError(`signing in on ${target.host} set no cookie`));
          resolve(cookie);
        });
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (error: NodeJS.ErrnoException) => reject(new SignInError(`cannot reach ${target.url.origin} (${error.code ?? error.message})`)));
    req.end(body);
  });
}
