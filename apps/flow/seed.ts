import type { SeedContext } from '../../src/platform/app-module.ts';
import type { Services } from '../../src/platform/services.ts';
import type { TaskStatus } from './task.ts';
import { TaskStore } from './tasks-store.ts';

/** First-run demo tasks: owned by the admin, some assigned to the demo users, due around today. */
export async function seedTasks(services: Services, { admin, demoUsers }: SeedContext): Promise<void> {
  const store = TaskStore.of(services);
  const [editor, viewer] = demoUsers;
  const samples: { title: string; description: string; status: TaskStatus; assigneeId: number | null; dueInDays: number | null }[] = [
    { title: 'Draft next quarter\'s roadmap', description: 'Collect priorities from each team and write a one-page summary.', status: 'doing', assigneeId: admin.id, dueInDays: 5 },
    { title: 'Review onboarding checklist', description: 'Check that new hires get accounts, a buddy and the handbook in week one.', status: 'todo', assigneeId: editor?.id ?? null, dueInDays: 3 },
    { title: 'Renew the TLS certificates', description: 'The staging certificate expires at the end of the month.', status: 'todo', assigneeId: editor?.id ?? null, dueInDays: 12 },
    { title: 'Read the incident report', description: 'Go through last week\'s outage write-up and add questions.', status: 'todo', assigneeId: viewer?.id ?? null, dueInDays: 7 },
    { title: 'Set up the team retro', description: 'Book a room and send the invite.', status: 'done', assigneeId: editor?.id ?? null, dueInDays: -2 },
    { title: 'Update the support FAQ', description: '', status: 'doing', assigneeId: null, dueInDays: null },
    { title: 'Archive old project boards', description: 'Anything untouched for six months can go.', status: 'done', assigneeId: null, dueInDays: -10 },
  ];
  // Inserted oldest first, so the list (newest first) shows them in the order written here.
  for (const sample of [...samples].reverse()) {
    await store.create({
      title: sample.title,
      description: sample.description,
      status: sample.status,
      ownerId: admin.id,
      assigneeId: sample.assigneeId,
      dueDate: sample.dueInDays === null ? null : dayFromToday(sample.dueInDays),
    });
  }
}

function dayFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
