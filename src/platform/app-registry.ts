import { KERNEL_DATABASES, type AppLayout } from '../config/layout.ts';
import type { AppDuty, AppModule } from './app-module.ts';

const APP_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** An app list the platform cannot run: a programming error, reported at boot. */
export class AppRegistryError extends Error {
  override name = 'AppRegistryError';
}

/** The database an app keeps its tables in. */
export function appDatabase(app: AppModule): string {
  return app.database ?? app.name;
}

/**
 * Checks the app list (the one in apps/index.ts, handed to the CLI once) and derives what the
 * kernel needs from it: the databases, where the audit log lives, which host signs people in.
 */
export function appLayout(apps: readonly AppModule[]): AppLayout {
  const names = new Set<string>();
  const databases = new Set<string>(KERNEL_DATABASES);
  for (const app of apps) {
    if (!APP_NAME.test(app.name)) throw new AppRegistryError(`app name ${JSON.stringify(app.name)}: use 1-31 lower-case letters, digits and -, starting with a letter`);
    if (names.has(app.name)) throw new AppRegistryError(`app "${app.name}" is registered twice`);
    names.add(app.name);
    const database = appDatabase(app);
    if (!APP_NAME.test(database)) throw new AppRegistryError(`app "${app.name}": database name ${JSON.stringify(database)}: use 1-31 lower-case letters, digits and -`);
    if (KERNEL_DATABASES.includes(database)) throw new AppRegistryError(`app "${app.name}": database "${database}" is the platform's own; pick another name`);
    databases.add(database);
  }
  const audit = dutyHolder(apps, 'audit-log');
  return {
    databases: [...databases],
    auditDatabase: audit ? appDatabase(audit) : 'rbac',
    signInApp: dutyHolder(apps, 'sign-in')?.name,
  };
}

function dutyHolder(apps: readonly AppModule[], duty: AppDuty): AppModule | undefined {
  const holders = apps.filter((a) => a.duties?.includes(duty));
  if (holders.length > 1) throw new AppRegistryError(`apps ${holders.map((a) => `"${a.name}"`).join(' and ')} both take the "${duty}" duty; one app may`);
  return holders[0];
}
