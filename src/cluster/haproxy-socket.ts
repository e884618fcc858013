import { Socket } from 'node:net';

/**
 * HAProxy's runtime API on its admin socket: one command per connection (HAProxy answers and
 * closes). `marg cluster roll` adds, disables and deletes servers through it, so a roll needs
 * no reload and no request is cut by one.
 */
export function runtimeCommand(socketPath: string, command: string, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let answer = '';
    const timer = setTimeout(() => socket.destroy(new Error(`HAProxy's runtime API (${socketPath}) did not answer "${command}" within ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(answer);
    });
    socket.connect(socketPath, () => socket.end(`${command}\n`));
  });
}

/** `show stat` as { server name → status } for one backend (UP, DOWN, MAINT, DRAIN, "UP 1/2", …). */
export async function serverStatuses(socketPath: string, backend: string): Promise<Map<string, string>> {
  const csv = await runtimeCommand(socketPath, 'show stat');
  const lines = csv.split('\n').filter(Boolean);
  const header = (lines[0] ?? '').replace(/^#\s*/, '').split(',');
  const [px, sv, status] = ['pxname', 'svname', 'status'].map((name) => header.indexOf(name));
  if (px === undefined || px < 0 || sv! < 0 || status! < 0) throw new Error(`unexpected answer to "show stat": ${csv.slice(0, 200)}`);
  const statuses = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    if (cells[px] !== backend || cells[sv!] === 'BACKEND' || cells[sv!] === 'FRONTEND') continue;
    statuses.set(cells[sv!]!, cells[status!]!);
  }
  return statuses;
}
