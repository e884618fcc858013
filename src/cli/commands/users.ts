import type { Command } from 'commander';
import type { AppModule } from '../../platform/app-module.ts';
import { parseRoleRef, formatRoleRef, type RoleRef } from '../../auth/permissions.ts';
import { userInputProblems } from '../../auth/validation.ts';
import type { Services } from '../../platform/services.ts';
import { UsageError, run, type CliContext } from '../context.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerUserCommands(program: Command, cli: CliContext): void {
  program
    .command('user:create')
    .description('create a user, optionally granting roles')
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--password <password>', 'at least 8 characters')
    .option('--name <name>', 'display name (defaults to the part of the email before @)')
    .option('--role <app:role>', 'grant a role, e.g. flow:editor (repeatable)', collect, [] as string[])
    .action((options: { email: string; password: string; name?: string; role: string[] }) =>
      run(() =>
        cli.withServices(async (services) => {
          await assertMigrated(services, cli.apps);
          const name = options.name ?? options.email.split('@')[0] ?? options.email;
          const problems = userInputProblems({ email: options.email, name, password: options.password });
          if (Object.keys(problems).length > 0) throw new UsageError(Object.entries(problems).map(([f, p]) => `--${f} ${p}`).join('; '));
          const roles = options.role.map(parseRole);
          await assertRolesExist(services, roles);
          const user = await services.users.create({ email: options.email, name, password: options.password }).catch(rethrowDuplicate);
          for (const ref of roles) await services.rbac.grant(user.id, ref);
          await services.audit.record('user.created', { subject: user.email, details: { via: 'cli', roles: roles.map(formatRoleRef) } });
          process.stdout.write(`Created user #${user.id} ${user.email}${roles.length ? ` with ${roles.map(formatRoleRef).join(', ')}` : ''}\n`);
        }),
      ),
    );

  program
    .command('user:password')
    .description("set a user's password; ends every session of theirs")
    .requiredOption('--email <email>', 'the user')
    .requiredOption('--password <password>', 'at least 8 characters')
    .action((options: { email: string; password: string }) =>
      run(() =>
        cli.withServices(async (services) => {
          const problem = userInputProblems({ password: options.password }).password;
          if (problem) throw new UsageError(`--password ${problem}`);
          await assertMigrated(services, cli.apps);
          const user = await findUser(services, options.email);
          await services.users.setPassword(user.id, options.password);
          // A stolen session must not outlive the password change that was meant to lock its holder out.
          const ended = await services.sessions.destroyOf(user.id);
          await services.audit.record('user.password_changed', { subject: user.email, details: { via: 'cli', sessionsEnded: ended } });
          process.stdout.write(`Password changed for ${user.email}; ${sessionCount(ended)} ended\n`);
        }),
      ),
    );

  program
    .command('user:logout')
    .description('sign a user out everywhere: end every session of theirs, on every node')
    .requiredOption('--email <email>', 'the user')
    .action((options: { email: string }) =>
      run(() =>
        cli.withServices(async (services) => {
          await assertMigrated(services, cli.apps);
          const user = await findUser(services, options.email);
          const ended = await services.sessions.destroyOf(user.id);
          await services.audit.record('auth.sessions_revoked', { subject: user.email, details: { via: 'cli', sessions: ended } });
          process.stdout.write(`Signed ${user.email} out: ${sessionCount(ended)} ended\n`);
        }),
      ),
    );

  for (const [command, verb] of [
    ['role:grant', 'grant'],
    ['role:revoke', 'revoke'],
  ] as const) {
    program
      .command(command)
      .description(`${verb} a role (app:role, e.g. flow:editor); takes effect on the user's next request`)
      .requiredOption('--email <email>', 'the user')
      .requiredOption('--role <app:role>', 'e.g. flow:editor (repeatable)', collect, [] as string[])
      .action((options: { email: string; role: string[] }) =>
        run(() =>
          cli.withServices(async (services) => {
            await assertMigrated(services, cli.apps);
            const user = await findUser(services, options.email);
            const roles = options.role.map(parseRole);
            await assertRolesExist(services, roles);
            for (const ref of roles) {
              const changed = verb === 'grant' ? await services.rbac.grant(user.id, ref) : await services.rbac.revoke(user.id, ref);
              const role = formatRoleRef(ref);
              // Like the admin pages, only a real change is audited.
              if (changed) await services.audit.record(verb === 'grant' ? 'rbac.granted' : 'rbac.revoked', { subject: user.email, details: { role, via: 'cli' } });
              const line = changed
                ? `${verb === 'grant' ? `Granted ${role} to` : `Revoked ${role} from`} ${user.email}`
                : `${user.email} ${verb === 'grant' ? 'already has' : 'does not have'} ${role}`;
              process.stdout.write(`${line}\n`);
            }
          }),
        ),
      );
  }
}

function sessionCount(n: number): string {
  return `${n} session${n === 1 ? '' : 's'}`;
}

function parseRole(text: string): RoleRef {
  const ref = parseRoleRef(text);
  if (!ref) throw new UsageError(`--role "${text}" is not app:role, with role one of viewer, editor, admin (e.g. flow:editor)`);
  return ref;
}

/** Without the RBAC and audit tables every query would fail with a raw SQL error instead of a hint. */
async function assertMigrated(services: Services, apps: readonly AppModule[]): Promise<void> {
  const { pendingMigrations } = await import('../../platform/migrate.ts');
  if ((await pendingMigrations(services, apps)).length > 0) throw new UsageError('the databases are not migrated yet: run `marg migrate` first');
}

async function assertRolesExist(services: Services, roles: RoleRef[]): Promise<void> {
  const known = new Set((await services.rbac.roles()).map((r) => `${r.app}:${r.name}`));
  if (known.size === 0) throw new UsageError('no roles exist yet: run `marg migrate` first');
  for (const ref of roles) {
    if (!known.has(formatRoleRef(ref))) throw new UsageError(`unknown role ${formatRoleRef(ref)}; known: ${[...known].join(', ')}`);
  }
}

async function findUser(services: Services, email: string) {
  const user = await services.users.findByEmail(email);
  if (!user) throw new UsageError(`no user with email ${email}`);
  return user;
}

async function rethrowDuplicate(error: unknown): Promise<never> {
  const [{ DuplicateEmailError }, { UnknownRoleError }] = await Promise.all([import('../../auth/users.ts'), import('../../auth/rbac.ts')]);
  if (error instanceof DuplicateEmailError || error instanceof UnknownRoleError) throw new UsageError(error.message);
  throw error;
}
