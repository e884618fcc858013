import { searchBox } from '../../src/search/views.ts';
import { html, type SafeHtml } from '../../src/http/html.ts';
import { timeTag } from '../../src/http/time.ts';
import type { Attachment } from './attachment.ts';
import { DESCRIPTION_MAX, STATUS_LABELS, TASK_STATUSES, TITLE_MAX, type Task } from './task.ts';
import { userSelect } from './view-parts.ts';

export interface BoardRow {
  readonly task: Task;
  readonly attachments: readonly Attachment[];
  readonly assigneeName: string | null;
  readonly mayUpdate: boolean;
  readonly mayDelete: boolean;
}

/** What the create form shows again after a refused submit. */
export interface CreateDraft {
  readonly title: string;
  readonly description: string;
  readonly assigneeId: string;
  readonly dueDate: string;
}

/** The board's filters and sort as they appear in its query string ('' = any). */
export interface BoardQueryValues {
  readonly status: string;
  readonly assignee: string;
  readonly due: string;
  readonly sort: string;
}

export interface BoardView {
  readonly rows: readonly BoardRow[];
  readonly query: BoardQueryValues;
  /** The query string (without `page`) a POST carries back, so the redirect lands where the user was. */
  readonly back: string;
  readonly newerUrl: string | null;
  readonly olderUrl: string | null;
  readonly pageNumber: number;
  readonly users: readonly { readonly id: number; readonly name: string }[];
  readonly csrf: string;
  readonly canCreate: boolean;
  readonly flash?: string | undefined;
  readonly error?: string;
  readonly draft?: CreateDraft;
}

const EMPTY_DRAFT: CreateDraft = { title: '', description: '', assigneeId: '', dueDate: '' };
const SUMMARY_LENGTH = 100;
const FILTERED = (q: BoardQueryValues) => q.status !== '' || q.assignee !== '' || q.due !== '';

/** The task board: filters and sort, create form (when allowed), one compact row per task. */
export function boardPage(view: BoardView): SafeHtml {
  const withActions = view.rows.some((r) => r.mayUpdate || r.mayDelete);
  return html`<div class="title-row"><h1>Tasks</h1><a href="/settings">Settings</a></div>
${view.flash ? html`<p class="flash" role="status">${view.flash}</p>` : ''}
${view.error ? html`<p class="flash error" role="alert">${view.error}</p>` : ''}
${searchBox('/search', '')}
${view.canCreate ? createForm(view) : ''}
${filterForm(view)}
<div class="table-wrap tasks-wrap">
<table id="tasks" class="tasks" data-live-channel="private-flow.tasks">
  <thead><tr><th scope="col">Title</th><th scope="col">Status</th><th scope="col">Assignee</th><th scope="col">Due</th>${withActions ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
  <tbody>
  ${view.rows.length === 0 ? html`<tr><td colspan="${withActions ? 5 : 4}" class="muted">No tasks${FILTERED(view.query) ? ' match these filters' : ' yet'}.</td></tr>` : ''}
  ${view.rows.map((row) => taskRow(row, view, withActions))}
  </tbody>
</table>
</div>
${pager(view)}`;
}

function pager(view: BoardView): SafeHtml | string {
  if (!view.newerUrl && !view.olderUrl) return '';
  return html`<nav class="pager" aria-label="Pages">
  ${view.newerUrl ? html`<a href="${view.newerUrl}" rel="prev">← Previous</a>` : html`<span></span>`}
  <span class="muted">Page ${view.pageNumber}</span>
  ${view.olderUrl ? html`<a href="${view.olderUrl}" rel="next">Next →</a>` : html`<span></span>`}
</nav>`;
}

function createForm(view: BoardView): SafeHtml {
  const draft = view.draft ?? EMPTY_DRAFT;
  return html`<details class="card create"${view.draft ? html` open` : ''}><summary>New task</summary>
<form method="post" action="/tasks" id="create-task">
  <input type="hidden" name="_csrf" value="${view.csrf}">
  ${backInput(view.back)}
  <label for="task-title">Title</label>
  <input id="task-title" name="title" required maxlength="${TITLE_MAX}" value="${draft.title}">
  <label for="task-description">Description</label>
  <textarea id="task-description" name="description" rows="3" maxlength="${DESCRIPTION_MAX}">${draft.description}</textarea>
  <div class="row">
    <div><label for="task-assignee">Assignee</label>${userSelect('task-assignee', view.users, draft.assigneeId)}</div>
    <div><label for="task-due">Due date</label><input id="task-due" name="dueDate" type="date" value="${draft.dueDate}"></div>
  </div>
  <p><button type="submit">Create task</button></p>
</form></details>`;
}

function option(value: string, label: string, selected: string): SafeHtml {
  return html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
}

function filterForm(view: BoardView): SafeHtml {
  const q = view.query;
  return html`<form method="get" action="/" class="card row filters" id="filter">
  <div><label for="filter-status">Status</label>
  <select id="filter-status" name="status">${option('', 'All', q.status)}${TASK_STATUSES.map((s) => option(s, STATUS_LABELS[s], q.status))}</select></div>
  <div><label for="filter-assignee">Assignee</label>
  <select id="filter-assignee" name="assignee">${option('', 'Anyone', q.assignee)}${option('me', 'Me', q.assignee)}${option('none', 'Unassigned', q.assignee)}${view.users.map((u) =>
    option(String(u.id), u.name, q.assignee),
  )}</select></div>
  <div><label for="filter-due">Due</label>
  <select id="filter-due" name="due">${option('', 'Any time', q.due)}${option('overdue', 'Overdue', q.due)}${option('week', 'In the next 7 days', q.due)}${option('none', 'No due date', q.due)}</select></div>
  <div><label for="filter-sort">Sort</label>
  <select id="filter-sort" name="sort">${option('newest', 'Newest first', q.sort)}${option('oldest', 'Oldest first', q.sort)}${option('due', 'Due soonest', q.sort)}</select></div>
  <div><button type="submit" class="secondary">Apply</button></div>
</form>`;
}

function taskRow(row: BoardRow, view: BoardView, withActions: boolean): SafeHtml {
  const { task } = row;
  const summary = task.description.length > SUMMARY_LENGTH ? `${task.description.slice(0, SUMMARY_LENGTH)}…` : task.description;
  const files = row.attachments.length;
  return html`<tr id="task-${task.id}">
  <td class="title"><a href="/tasks/${task.id}"><strong>${task.title}</strong></a>${summary ? html`<div class="muted summary">${summary}</div>` : ''}${
    files > 0 ? html`<div class="muted">${files} file${files === 1 ? '' : 's'}</div>` : ''
  }</td>
  <td>${row.mayUpdate ? statusForm(row, view) : html`<span class="badge status-${task.status}">${STATUS_LABELS[task.status]}</span>`}</td>
  <td>${row.assigneeName ?? html`<span class="muted">Unassigned</span>`}</td>
  <td class="nowrap">${task.dueDate ? timeTag(`${task.dueDate}T00:00:00Z`, 'date') : html`<span class="muted">—</span>`}</td>
  ${
    withActions
      ? html`<td class="nowrap">${row.mayDelete ? html`<a href="/tasks/${task.id}/delete" class="danger-link" aria-label="Delete ${task.title}">Delete</a>` : ''}</td>`
      : ''
  }
</tr>`;
}

/** Status in one select: a script sends it on change and says "Saved"; without one, the button does (POST-redirect-GET). */
function statusForm(row: BoardRow, view: BoardView): SafeHtml {
  const { task } = row;
  return html`<form method="post" action="/tasks/${task.id}/status" class="status-form" data-autosubmit>
    <input type="hidden" name="_csrf" value="${view.csrf}">${backInput(view.back)}
    <select name="status" aria-label="Status of ${task.title}" class="status-${task.status}">${TASK_STATUSES.map(
      (s) => html`<option value="${s}"${s === task.status ? html` selected` : ''}>${STATUS_LABELS[s]}</option>`,
    )}</select>
    <button type="submit" class="secondary small">Set</button>
    <span class="saved" role="status" aria-live="polite"></span>
  </form>`;
}

/** Keeps the board's filters across a POST, so the redirect lands where the user was. */
function backInput(back: string): SafeHtml {
  return back ? html`<input type="hidden" name="back" value="${back}">` : html``;
}
