/** How to reach Redis: directly, or through Sentinel (REDIS_SENTINELS + REDIS_SENTINEL_SERVICE). */
export interface RedisSettings {
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: boolean;
  /** REDIS_PREFIX: put before every key Marg writes, so several deployments can share one Redis. */
  readonly prefix: string;
  readonly sentinels: readonly { host: string; port: number }[];
  readonly sentinelService: string | undefined;
  readonly sentinelPassword: string | undefined;
}
