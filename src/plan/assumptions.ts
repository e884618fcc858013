/**
 * What a plan assumes beyond the measured capacities and the price table. Each value is printed
 * with the plan; the ones the guides give are marked so.
 */
export const ASSUMPTIONS = {
  /** The guide's capacity planning: "500 active users × 10 requests/min = 83 requests/second". */
  requestsPerUserPerMinute: 10,
  /** The guide's Phase 2 worker: "100+ jobs/minute" for up to 500 active users. */
  jobsPerUserPerMinute: 0.2,
  /** One open tab (one realtime socket) per active user. */
  socketsPerUser: 1,
  /** Capacity ÷ peak load: 2 keeps every node under 50 % at the peak (the guide's Phase 2 ran its bottleneck at 2.5×). */
  headroom: 2,
  /** CPU a job's own work takes on top of the queue's (mail, a thumbnail, a click count). */
  jobCpuMs: 20,
  /** Requests that write a row (each one write query); the rest read one indexed row, as the bench's signed-in request. */
  writeShare: 0.1,
  /** Session read + session touch + the cached principal (RBAC) per request; a queue job's BullMQ round trips. */
  redisOpsPerRequest: 3,
  redisOpsPerJob: 10,
  /** Each job reads or writes one row; the database queue adds its own claim, complete and delete. */
  queriesPerJob: 1,
  databaseQueueQueriesPerJob: 3,
  /** Stored sessions per active user (several devices; SESSION_LIFETIME a week) and the size of one in Redis. */
  sessionsPerUser: 2,
  sessionKb: 2,
  /** Cache (links, principals) kept in Redis beside the sessions. */
  redisCacheMb: 64,
  /** Redis maxmemory as a share of the node's RAM (the guide: 512 MB on a 1 GB server). */
  redisMemoryShare: 0.5,
  /** Share of a node's RAM the Marg processes may use (the rest: OS, nginx, page cache). */
  processMemoryShare: 0.8,
  /** The guide's mysqld.cnf `max_connections = 200`; each process opens up to DB_POOL_MAX per database. */
  databaseMaxConnections: 200,
  dbPoolMax: 10,
} as const;
