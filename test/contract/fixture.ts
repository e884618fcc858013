// Each port has `<port>.contract.ts` (the behaviour, as `describe<Port>Contract(driverName, factory, options)`)
// and `<port>.test.ts` (a table of drivers). A server-backed driver is one more table entry:
//   const redis = await serviceAvailable('Redis', probeRedis);          // test/support/services.ts
//   { name: 'redis', factory: ..., options: { skip: redis.skipReason } }
// Every test calls the factory afresh and expects a store of its own (a server-backed factory gives each
// call a unique key prefix or schema), so the tests of one driver run concurrently.

/** What a driver entry builds for one contract test: the store, maybe a twin connection, and cleanup. */
export interface Fixture<Store> {
  readonly store: Store;
  /** Another connection/instance on the same backing store; absent for in-process drivers. */
  readonly second?: Store;
  close(): Promise<void>;
}

export type Factory<Store, Options = Record<string, never>> = (options: Options) => Promise<Fixture<Store>>;

/** Per-driver switches a contract accepts; `skip` is how a server-backed driver opts out when its server is absent. */
export interface ContractOptions {
  readonly skip?: string | undefined;
}

export const NO_SECOND_CONNECTION = 'this driver lives in one process: it has no second connection to the same store';

/** Every store the fixture offers: the cross-connection tests alternate between them. */
export function connections<Store>(fixture: Fixture<Store>): Store[] {
  return fixture.second ? [fixture.store, fixture.second] : [fixture.store];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sleeps until `ms` after `start`, so a timeline of waits does not drift. */
export function sleepUntil(start: number, ms: number): Promise<void> {
  return sleep(Math.max(0, start + ms - Date.now()));
}
