/**
 * What the list of apps decides for the kernel: which databases exist, where the audit log
 * is kept and which app host serves sign-in. The app registry (src/platform/app-registry.ts)
 * derives it; the kernel reads it from here and so never names an app.
 */
export interface AppLayout {
  /** Every database: the kernel's own (KERNEL_DATABASES), then each app's. */
  readonly databases: readonly string[];
  /** The database that keeps the audit log: the one of the app with the `audit-log` duty, else `rbac`. */
  readonly auditDatabase: string;
  /** The app whose host serves `/signin` (the `sign-in` duty); undefined when no app does. */
  readonly signInApp: string | undefined;
}

/** The platform's own databases: queue jobs and schedule runs, and the shared RBAC one. */
export const KERNEL_DATABASES: readonly string[] = ['platform', 'rbac'];

/** The layout without apps: what a config loaded without the app list describes. */
export const KERNEL_LAYOUT: AppLayout = { databases: KERNEL_DATABASES, auditDatabase: 'rbac', signInApp: undefined };
