import type { JobHandlers } from '../queue/jobs.ts';
import type { AppModule, JobFactory } from './app-module.ts';
import type { Services } from './services.ts';

/** Every job a worker can run, bound to its services: the platform's own, then each app's. A name defined twice is a startup error. */
export function jobHandlers(apps: readonly AppModule[], services: Services, platform: readonly JobFactory[] = []): JobHandlers {
  const all: Record<string, JobHandlers[string]> = {};
  for (const jobs of [...platform, ...apps.flatMap((a) => a.jobs ?? [])]) {
    for (const [name, handler] of Object.entries(jobs(services))) {
      if (all[name]) throw new Error(`job "${name}" is defined twice`);
      all[name] = handler;
    }
  }
  return all;
}
