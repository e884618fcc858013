import type { FastifyRequest } from 'fastify';
import { can, type Principal } from '../../src/auth/rbac.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { notFound } from '../../src/http/errors.ts';
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
