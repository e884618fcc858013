/** The one Pusher app this server speaks for (REVERB_APP_ID/KEY/SECRET). */
export interface RealtimeApp {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

/** Everything the realtime port and server read from config (src/config/config.ts maps the env). */
export interface RealtimeSettings {
  /** BROADCAST_CONNECTION */
  readonly driver: 'memory' | 'redis';
  /** Undefined until REVERB_APP_* are set (`npm start` writes them). */
  readonly app: RealtimeApp | undefined;
  /** REVERB_HOST / REVERB_PORT / REVERB_SCHEME: where clients connect (no port: the page's own, as under `npm start` or a balancer). */
  readonly host: string;
  readonly clientPort: number | undefined;
  /** REVERB_SERVER_PORT, else REVERB_PORT, else 6001: what `marg realtime` binds. */
  readonly port: number;
  readonly scheme: 'http' | 'https';
  /** REVERB_SERVER_HOST: the address `marg realtime` binds. */
  readonly serverHost: string;
  /** Lower-cased host patterns: `example.com`, `*.example.com`, or `*`. */
  readonly allowedOrigins: readonly string[];
  readonly activityTimeoutSeconds: number;
  readonly maxMessageBytes: number;
  readonly maxConnections: number;
  readonly maxSubscriptions: number;
  readonly clientEvents: boolean;
  readonly clientEventsPerSecond: number;
  readonly nodeTimeoutMs: number;
}
