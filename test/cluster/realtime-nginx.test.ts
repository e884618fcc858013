import { describeRealtimeCluster } from './realtime-cluster.ts';

await describeRealtimeCluster('nginx');
