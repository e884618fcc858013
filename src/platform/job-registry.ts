import type { JobHandlers } from '../queue/jobs.ts';
import type { AppModule } from './app-module.ts';

/** Every job a worker can run: the platform's own, then each app's. A name defined twice is a startup error. */
export function jobHandlers(apps: readonly AppModule[], platform: readonly JobHandlers[] = []): JobHandlers {
  const all: Record<string, JobHandlers[string]> = {};
  for (const set of [...platform, ...apps.map((a) => a.jobs ?? {})]) {
    for (const [name, handler] of Object.entries(set)) {
      if (all[name]) throw new Error(`job "${name}" is defined twice`);
      all[name] = handler;
    }
  }
  return all;
}
