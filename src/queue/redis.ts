// PLACEHOLDER: the BullMQ driver replaces this file.
import type { RedisSettings } from '../redis/connection.ts';
import type { ConsumeOptions, Consumer, DispatchResult, FailedJob, JobProcessor, NewJob, QueueCounts, QueueDriver } from './contract.ts';

export class RedisQueueDriver implements QueueDriver {
  readonly driver = 'redis';
  constructor(_settings: RedisSettings, _options: { retryAfterMs: number }) {}
  dispatch(_job: NewJob): Promise<DispatchResult> { throw new Error('not yet'); }
  consume(_p: JobProcessor, _o: ConsumeOptions): Consumer { throw new Error('not yet'); }
  stats(): Promise<QueueCounts[]> { throw new Error('not yet'); }
  size(): Promise<number> { throw new Error('not yet'); }
  failed(): Promise<FailedJob[]> { throw new Error('not yet'); }
  retry(): Promise<boolean> { throw new Error('not yet'); }
  retryAll(): Promise<number> { throw new Error('not yet'); }
  forget(): Promise<boolean> { throw new Error('not yet'); }
  flushFailed(): Promise<number> { throw new Error('not yet'); }
  pruneFailed(): Promise<number> { throw new Error('not yet'); }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}
