import { describeSentinelFailover } from './sentinel-failover.ts';

// Redis replicates asynchronously: a job the primary acknowledged in the last moments before
// its death may be missing on the promoted replica. Such a loss is reported with its reason
// (the job is not on the new primary); QUEUE_REDIS_WAIT_REPLICAS closes it (sentinel-wait).
describeSentinelFailover('asynchronous replication: requests succeed again within 10 s, users stay signed in, every acknowledged job is processed once or reported', 'async', {}, () => {});
