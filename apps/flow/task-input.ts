import { MAX_ID } from '../../src/http/params.ts';
import { DESCRIPTION_MAX, isTaskStatus, TITLE_MAX } from './task.ts';
import type { Assignees } from './task-access.ts';
import type { TaskChanges } from './tasks-store.ts';

/** Task fields as sent (by the API after its schema, or by a form); absent means "leave as is". */
export interface TaskDraft {
  readonly title?: string;
  readonly description?: string;
  readonly status?: string;
  readonly assigneeId?: number | null;
  readonly dueDate?: string | null;
}

export interface CheckedDraft {
  readonly changes: TaskChanges;
  /** Field name → what is wrong with it; empty when the draft is fine. */
  readonly fields: Record<string, string>;
}

/**
 * The rules a well-typed draft must still meet (the API and the pages share them): a title
 * that is not blank once trimmed, lengths, a real calendar date, an assignee who exists and
 * holds a Flow role that can see the task (Assignees).
 */
export async function checkTaskDraft(draft: TaskDraft, assignees: Assignees): Promise<CheckedDraft> {
  const changes: { -readonly [K in keyof TaskChanges]: TaskChanges[K] } = {};
  const fields: Record<string, string> = {};

  if (draft.title !== undefined) {
    const title = draft.title.trim();
    if (title === '') fields.title = 'is required';
    else if (title.length > TITLE_MAX) fields.title = `must be at most ${TITLE_MAX} characters`;
    else changes.title = title;
  }
  if (draft.description !== undefined) {
    if (draft.description.length > DESCRIPTION_MAX) fields.description = `must be at most ${DESCRIPTION_MAX} characters`;
    else changes.description = draft.description;
  }
  if (draft.status !== undefined) {
    if (isTaskStatus(draft.status)) changes.status = draft.status;
    else fields.status = 'must be one of todo, doing, done';
  }
  if (draft.dueDate !== undefined) {
    if (draft.dueDate === null || isCalendarDate(draft.dueDate)) changes.dueDate = draft.dueDate;
    else fields.dueDate = 'must be a real date as YYYY-MM-DD';
  }
  if (draft.assigneeId !== undefined) {
    const id = draft.assigneeId;
    const problem = id === null ? undefined : Number.isInteger(id) && id >= 1 && id <= MAX_ID ? await assignees.problem(id) : 'is not a known user';
    if (problem === undefined) changes.assigneeId = id;
    else fields.assigneeId = problem;
  }
  return { changes, fields };
}

/** 'YYYY-MM-DD' naming a day that exists (2026-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1) return false;
  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 19xx.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
