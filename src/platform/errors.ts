// The errors a role's boot stops with, in a module of their own: the CLI tells them apart
// (exit 2 or 1, no stack) without loading the platform that throws them.

/** A role that cannot start as configured (e.g. the databases are not migrated): one clear message, exit 2. */
export class BootError extends Error {
  override name = 'BootError';
}

/** A configured server that does not answer at boot: stops the process with one clear message. */
export class UnreachableError extends Error {}
