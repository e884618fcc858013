import { randomBytes } from 'node:crypto';
import type { User } from '../auth/users.ts';
import type { AppModule } from './app-module.ts';
import type { Services } from './services.ts';

export interface SeedResult {
  readonly admin: { email: string; password: string };
}

/**
 * First-run demo data: an admin holding every app's admin role (with a random password,
 * returned once to be printed), two demo users, and each app's sample records. Runs only
 * while there are no users, under a lock so two processes starting together seed once.
 */
export async function seedIfEmpty(services: Services, apps: readonly AppModule[]): Promise<SeedResult | undefined> {
  const outcome = await services.locks.withLock('marg:seed', 60_000, async () => {
    if ((await services.users.count()) > 0) return undefined;
    const password = randomBytes(12).toString('base64url');
    const domain = services.config.domain;
    const admin = await services.users.create({ email: `admin@${domain}`, name: 'Ada Admin', password });
    for (const app of apps) await services.rbac.grant(admin.id, { app: app.name, role: 'admin' });
    const demoUsers: User[] = [];
    for (const [email, name, role] of [
      [`editor@${domain}`, 'Eddie Editor', 'editor'],
      [`viewer@${domain}`, 'Vera Viewer', 'viewer'],
    ] as const) {
      const user = await services.users.create({ email, name, password: randomBytes(12).toString('base64url') });
      for (const app of apps) await services.rbac.grant(user.id, { app: app.name, role });
      demoUsers.push(user);
    }
    for (const app of apps) await app.seed?.(services, { admin, demoUsers });
    return { admin: { email: admin.email, password } };
  });
  return outcome.acquired ? outcome.value : undefined;
}
