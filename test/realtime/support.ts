import PusherJs from 'pusher-js';
import WebSocket from 'ws';

// pusher-js is CommonJS: Node hands its class as the default import; its types describe a namespace with `default`.
export const Pusher = PusherJs as unknown as (typeof import('pusher-js'))['default'];
export type Pusher = InstanceType<typeof Pusher>;
import type { RawEnv } from '../../src/config/env-files.ts';
import { startRealtime, type RunningRealtime } from '../../src/platform/realtime-role.ts';
import { uniqueRedisPrefix } from '../contract/redis-fixture.ts';
import type { HostClient } from '../support/client.ts';
import { recordSecret } from '../support/log-capture.ts';
import { createTestPlatform, startTestServer, type TestPlatform, type TestServer } from '../support/platform.ts';

export const APP = { id: '424242', key: 'marg-test-key', secret: 'marg-test-secret-0123456789' };
recordSecret(APP.secret);

export function realtimeEnv(extra: RawEnv = {}): RawEnv {
  return {
    REVERB_APP_ID: APP.id,
    REVERB_APP_KEY: APP.key,
    REVERB_APP_SECRET: APP.secret,
    REVERB_PORT: '0',
    BROADCAST_CONNECTION: 'redis',
    REDIS_PREFIX: uniqueRedisPrefix(),
    ...extra,
  };
}

export interface RealtimeNode {
  readonly platform: TestPlatform;
  readonly running: RunningRealtime;
  readonly port: number;
  stop(): Promise<void>;
}

/** One realtime node as `marg realtime` runs it (startRealtime on its own services and Redis connections). */
export async function startNode(env: RawEnv): Promise<RealtimeNode> {
  const platform = await createTestPlatform(env);
  const running = await startRealtime(platform.services);
  let stopped: Promise<void> | undefined;
  return {
    platform,
    running,
    port: running.port,
    stop: () => (stopped ??= running.stop().finally(() => platform.close())),
  };
}

/** A web server (for /broadcasting/auth and the apps' publishes) and `nodes` realtime nodes on one Redis prefix. */
export async function startRealtimeCluster(nodes: number, extra: RawEnv = {}): Promise<{ web: TestServer; nodes: RealtimeNode[]; env: RawEnv; close(): Promise<void> }> {
  const env = realtimeEnv(extra);
  const web = await startTestServer(env);
  const started: RealtimeNode[] = [];
  try {
    for (let i = 0; i < nodes; i += 1) started.push(await startNode(env));
  } catch (error) {
    await Promise.all(started.map((n) => n.stop()));
    await web.close();
    throw error;
  }
  return {
    web,
    nodes: started,
    env,
    async close() {
      await Promise.all(started.map((n) => n.stop()));
      await web.close();
    },
  };
}

/**
 * pusher-js's channel authorizer, through a Marg web server's POST /broadcasting/auth with the
 * browser's cookies and CSRF token (HostClient): what the browser build does with XHR.
 */
export function authorizeThrough(client: HostClient, app = 'flow') {
  return {
    customHandler(params: { socketId: string; channelName: string }, callback: (error: Error | null, data: { auth: string; channel_data?: string } | null) => void) {
      client
        .post(app, '/broadcasting/auth', { form: { socket_id: params.socketId, channel_name: params.channelName } })
        .then((response) => (response.status === 200 ? callback(null, response.json()) : callback(new Error(`auth answered ${response.status}`), null)))
        .catch((error: Error) => callback(error, null));
    },
  };
}

export function pusherClient(port: number, client?: HostClient): Pusher {
  return new Pusher(APP.key, {
    cluster: '',
    wsHost: '127.0.0.1',
    wsPort: port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    ...(client ? { channelAuthorization: authorizeThrough(client) as never } : {}),
  });
}

export function connected(pusher: Pusher): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pusher.connection.state === 'connected') return resolve();
    pusher.connection.bind('connected', () => resolve());
    pusher.connection.bind('failed', () => reject(new Error('pusher-js failed to connect')));
  });
}

/** Resolves with the first value `bind` hands over, or fails after `ms`. */
export function next<T>(bind: (resolve: (value: T) => void) => void, ms = 5000, what = 'event'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    bind((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** A bare socket speaking the protocol by hand, for what the client libraries never send. */
export async function rawSocket(port: number, options: { key?: string; origin?: string } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${options.key ?? APP.key}?protocol=7`, options.origin ? { origin: options.origin } : {});
  const messages: { event: string; data: unknown }[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (text) => {
    messages.push(JSON.parse(String(text)) as { event: string; data: unknown });
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number }>((resolve) => ws.on('close', (code) => resolve({ code })));
  ws.on('error', () => {});
  await new Promise<void>((resolve) => {
    ws.on('open', () => resolve());
    ws.on('close', () => resolve());
  });
  const nextEvent = async (event: string, ms = 5000) => {
    const end = Date.now() + ms;
    for (;;) {
      const found = messages.findIndex((m) => m.event === event);
      if (found >= 0) return messages.splice(found, 1)[0]!;
      if (Date.now() > end) throw new Error(`no ${event}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
  };
  let socketId = '';
  if (ws.readyState === ws.OPEN) {
    const hello = await nextEvent('pusher:connection_established', 5000).catch(() => undefined);
    socketId = hello ? (JSON.parse(String(hello.data)) as { socket_id: string }).socket_id : '';
  }
  const established = socketId !== '';
  return { ws, messages, closed, nextEvent, established, socketId, send: (text: string | Buffer) => ws.send(text), close: () => ws.close() };
}
