import type { FastifyRequest } from 'fastify';
import { can, type Principal } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { notFound } from '../../src/http/errors.ts';
import type { Services } from '../../src/platform/services.ts';
import type { Task } from './task.ts';
import type { TaskStore } from './tasks-store.ts';

export type TaskAction = 'update' | 'delete';

/**
 * The ownership rule (DESIGN §4): `flow.tasks.manage` may change any task; otherwise an
 * owner may update and delete, an assignee may only update.
 */
export function mayChange(principal: Principal, task: Task, action: TaskAction): boolean {
  if (!can(principal, `flow.tasks.${action}`)) return false;
  if (can(principal, 'flow.tasks.manage')) return true;
  return task.ownerId === principal.id || (action === 'update' && task.assigneeId === principal.id);
}

/**
 * Loads a task for a change: 401/403 without the permission (checked first, so a viewer
 * learns nothing about which ids exist), 404 when it is gone, 403 (audited) when it is
 * someone else's.
 */
export async function taskForChange(
  ctx: AppContext,
  request: FastifyRequest,
  store: TaskStore,
  id: number,
  action: TaskAction,
): Promise<{ principal: Principal; task: Task }> {
  const principal = await ctx.requirePermission(request, `flow.tasks.${action}`);
  const task = await store.find(id);
  if (!task) throw notFound('Task');
  if (!mayChange(principal, task, action)) {
    const message = action === 'delete' ? 'You can only delete your own tasks.' : 'You can only change your own tasks or tasks assigned to you.';
    throw await ctx.deny(request, principal, 'flow.tasks.manage', { message, details: { taskId: task.id, action } });
  }
  return { principal, task };
}

/**
 * What an assignee must hold: every task is visible to `flow.tasks.read` (listing and reading
 * take no ownership rule), so a user with it can see any task given to them; `flow.tasks.update`
 * then lets them change it (mayChange). A user without it could not even open the task.
 */
export const ASSIGNEE_PERMISSION = 'flow.tasks.read';

/** How many users the assignee lists look through at most (newest first) to fill their options. */
const ASSIGNEE_SCAN = 5_000;
const ASSIGNEE_BATCH = 500;

/** Who a task may be assigned to: users holding a Flow role that can see it (ASSIGNEE_PERMISSION). */
export class Assignees {
  constructor(private readonly services: Pick<Services, 'rbac' | 'users'>) {}

  /** Why `id` cannot be assigned, or undefined when it can (the `assigneeId` field's message). */
  async problem(id: number): Promise<string | undefined> {
    // The principal comes from the RBAC cache, which every grant and revoke clears for that user.
    const principal = await this.services.rbac.principal(id);
    if (!principal) return 'is not a known user';
    if (!can(principal, ASSIGNEE_PERMISSION)) return `cannot see tasks: the user has no Flow role with ${ASSIGNEE_PERMISSION}`;
    return undefined;
  }

  /**
   * Up to `limit` users who can be assigned, newest first: the options of the assignee pickers.
   * Three queries per batch of users (their roles against the roles that grant the permission).
   */
  async list(limit: number): Promise<{ id: number; name: string }[]> {
    const granting = new Set(
      (await this.services.rbac.roles()).filter((r) => r.permissions.includes(ASSIGNEE_PERMISSION)).map((r) => `${r.app}:${r.name}`),
    );
    const out: { id: number; name: string }[] = [];
    if (granting.size === 0) return out;
    let before: number | undefined;
    for (let scanned = 0; scanned < ASSIGNEE_SCAN && out.length < limit; ) {
      const batch = await this.services.users.list(ASSIGNEE_BATCH, before);
      if (batch.length === 0) break;
      const roles = await this.services.rbac.rolesOfUsers(batch.map((u) => u.id));
      for (const user of batch) {
        if (out.length < limit && (roles.get(user.id) ?? []).some((role) => granting.has(role))) out.push({ id: user.id, name: user.name });
      }
      scanned += batch.length;
      if (batch.length < ASSIGNEE_BATCH) break;
      before = batch[batch.length - 1]!.id;
    }
    return out;
  }
}
