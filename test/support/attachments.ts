import { request as httpRequest } from 'node:http';
import type { HostClient, TestResponse } from './client.ts';

/** A multipart/form-data body as a browser's FormData sends it. */
export async function multipartBody(parts: { field: string; bytes: Buffer; filename: string; type: string }[]): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  for (const part of parts) form.append(part.field, new Blob([new Uint8Array(part.bytes)], { type: part.type }), part.filename);
  const request = new Request('http://x/', { method: 'POST', body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

export async function upload(client: HostClient, taskId: number, bytes: Buffer, filename: string, type: string, field = 'file'): Promise<TestResponse> {
  const { body, contentType } = await multipartBody([{ field, bytes, filename, type }]);
  return client.post('flow', `/api/tasks/${taskId}/attachments`, { body, headers: { 'content-type': contentType } });
}

/** GET with the client's cookies, keeping the body as bytes (HostClient decodes text). */
export async function download(client: HostClient, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = client.url('flow', path);
  const cookie = await client.jar.getCookieString(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: client.port, path, headers: { host: new URL(url).host, cookie }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
