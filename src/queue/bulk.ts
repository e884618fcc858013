import type { DispatchResult, NewJob } from './contract.ts';

/**
 * `JobProducer.dispatchMany` on any driver: the jobs without a unique key go to `storeTogether`
 * at once (it resolves with their ids, in order), the others one by one to `dispatchOne`, whose
 * insert-or-find reports a key's holder. The results come in the order of `jobs`.
 */
export async function dispatchInBulk(
  jobs: readonly NewJob[],
  storeTogether: (plain: readonly NewJob[]) => Promise<readonly string[]>,
  dispatchOne: (job: NewJob) => Promise<DispatchResult>,
): Promise<DispatchResult[]> {
  const results: DispatchResult[] = new Array(jobs.length);
  const plain = jobs.flatMap((job, index) => (job.uniqueKey === null ? [{ job, index }] : []));
  if (plain.length > 0) {
    const ids = await storeTogether(plain.map((p) => p.job));
    plain.forEach(({ index }, n) => (results[index] = { id: ids[n]!, duplicate: false }));
  }
  for (const [index, job] of jobs.entries()) if (job.uniqueKey !== null) results[index] = await dispatchOne(job);
  return results;
}
