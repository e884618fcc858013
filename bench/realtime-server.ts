/**
 * One broadcast server for bench/realtime.ts, in its own process: `marg` (the realtime hub on the
 * in-process broadcast port: what `marg realtime` runs, without the HTTP API and /health) or
 * `bare` (a plain `ws` server that keeps channel sets and sends the same frames in a loop).
 * The parent drives it over IPC: publish at a fixed rate, or a burst as fast as it goes.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { createLogger } from '../src/observability/logger.ts';
import { MemoryBroadcast } from '../src/realtime/memory.ts';
import { RealtimeHub } from '../src/realtime/hub.ts';
import type { RealtimeSettings } from '../src/realtime/settings.ts';

export const BENCH_APP = { id: '1', key: 'bench-key', secret: 'bench-secret-0123456789' };
type Command = { type: 'rate'; plan: { channel: string; perSecond: number }[]; seconds: number } | { type: 'burst'; channel: string; events: number } | { type: 'rss' };

const kind = process.argv[2] === 'bare' ? 'bare' : 'marg';
const server = createServer();
let publish: (channel: string, data: string) => void;

if (kind === 'marg') {
  const settings: RealtimeSettings = {
    driver: 'memory', app: BENCH_APP, host: 'localhost', clientPort: undefined, port: 0, scheme: 'http', serverHost: '127.0.0.1',
    allowedOrigins: ['*'], activityTimeoutSeconds: 120, maxMessageBytes: 10_000, maxConnections: 100_000, maxSubscriptions: 100,
    clientEvents: true, clientEventsPerSecond: 10, nodeTimeoutMs: 9_000,
  };
  const broadcast = new MemoryBroadcast();
  const hub = new RealtimeHub({ settings, app: BENCH_APP, broadcast, logger: createLogger({ logLevel: 'silent' }) });
  server.on('upgrade', (request, socket, head) => hub.handleUpgrade(request, socket, head));
  publish = (channel, data) => void broadcast.publish({ channel, event: 'tick', data, sentAt: Date.now() });
} else {
  // The floor: parse subscribes, keep sets, send one pre-serialised frame per socket. No protocol beyond that.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false });
  const channels = new Map<string, Set<WebSocket>>();
  server.on('upgrade', (request, socket, head) =>
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.send(JSON.stringify({ event: 'pusher:connection_established', data: JSON.stringify({ socket_id: '1.1', activity_timeout: 120 }) }));
      ws.on('message', (raw) => {
        const message = JSON.parse(String(raw)) as { event: string; data: { channel: string } };
        if (message.event !== 'pusher:subscribe') return;
        let set = channels.get(message.data.channel);
        if (!set) channels.set(message.data.channel, (set = new Set()));
        set.add(ws);
        ws.send(JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel: message.data.channel, data: '{}' }));
      });
      ws.on('close', () => channels.forEach((set) => set.delete(ws)));
    }),
  );
  publish = (channel, data) => {
    const frame = JSON.stringify({ event: 'tick', channel, data });
    for (const ws of channels.get(channel) ?? []) ws.send(frame);
  };
}

let sequence = 0;
const stamp = () => JSON.stringify({ t: Date.now(), i: sequence++ });

process.on('message', (command: Command) => {
  if (command.type === 'rss') {
    const cpu = process.cpuUsage();
    return process.send!({ type: 'rss', rss: process.memoryUsage().rss, cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (command.type === 'burst') {
    // Back to back, yielding between events so the sockets' writes go out.
    let left = command.events;
    const next = () => {
      publish(command.channel, stamp());
      if (--left > 0) setImmediate(next);
      else process.send!({ type: 'done' });
    };
    return next();
  }
  // Counted, not assumed: a broadcast to a big channel delays the other timers, so fewer events
  // than the nominal rate may go out; the parent expects deliveries for what was published.
  const published: Record<string, number> = {};
  const timers = command.plan.map(({ channel, perSecond }) =>
    setInterval(() => {
      publish(channel, stamp());
      published[channel] = (published[channel] ?? 0) + 1;
    }, 1000 / perSecond),
  );
  setTimeout(() => {
    timers.forEach(clearInterval);
    process.send!({ type: 'done', published });
  }, command.seconds * 1000);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send!({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => process.exit(0));
