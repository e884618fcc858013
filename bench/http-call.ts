import { request } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One request to 127.0.0.1:<port> with the given Host header (each app is a host name). */
export function httpCall(port: number, method: string, path: string, host: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, host }, timeout: 10_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export function httpGet(port: number, path: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  return httpCall(port, 'GET', path, host, headers);
}

/** POSTs JSON and expects `status`; returns the parsed body. */
export async function postJson<T>(port: number, path: string, host: string, payload: unknown, headers: Record<string, string>, status: number): Promise<{ body: T; reply: Reply }> {
  const reply = await httpCall(port, 'POST', path, host, { ...headers, 'content-type': 'application/json' }, JSON.stringify(payload));
  if (reply.status !== status) throw new Error(`POST ${host}${path} answered ${reply.status} (expected ${status}): ${reply.body.slice(0, 300)}`);
  return { body: JSON.parse(reply.body) as T, reply };
}
