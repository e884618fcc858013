import { html, type SafeHtml } from '../../src/http/html.ts';
import { DESCRIPTION_MAX, STATUS_LABELS, TASK_STATUSES, TITLE_MAX, type Task, type TaskStatus } from './task.ts';

export interface BoardRow {
  readonly task: Task;
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

export interface BoardView {
  readonly rows: readonly BoardRow[];
  readonly filter: TaskStatus | undefined;
  readonly olderUrl: string | null;
  readonly users: readonly { readonly id: number; readonly name: string }[];
  readonly csrf: string;
  readonly canCreate: boolean;
  readonly error?: string;
  readonly draft?: CreateDraft;
}

const EMPTY_DRAFT: CreateDraft = { title: '', description: '', assigneeId: '', dueDate: '' };
const SUMMARY_LENGTH = 140;

/** The task board: filter, create form (when allowed), the table with each row's allowed actions. */
export function boardPage(view: BoardView): SafeHtml {
  const withActions = view.rows.some((r) => r.mayUpdate || r.mayDelete);
  return html`<h1>Tasks</h1>
${view.error ? html`<p class="flash error" role="alert">${view.error}</p>` : ''}
${view.canCreate ? createForm(view) : ''}
${filterForm(view.filter)}
<table id="tasks">
  <thead><tr><th scope="col">Title</th><th scope="col">Status</th><th scope="col">Assignee</th><th scope="col">Due</th>${withActions ? html`<th scope="col">Actions</th>` : ''}</tr></thead>
  <tbody>
  ${view.rows.length === 0 ? html`<tr><td colspan="${withActions ? 5 : 4}" class="muted">No tasks${view.filter ? ' with this status' : ' yet'}.</td></tr>` : ''}
  ${view.rows.map((row) => taskRow(row, view, withActions))}
  </tbody>
</table>
${view.olderUrl ? html`<p><a href="${view.olderUrl}" rel="next">Older tasks →</a></p>` : ''}`;
}

function createForm(view: BoardView): SafeHtml {
  const draft = view.draft ?? EMPTY_DRAFT;
  return html`<form method="post" action="/tasks" class="card" id="create-task">
  <h2>New task</h2>
  <input type="hidden" name="_csrf" value="${view.csrf}">
  ${filterInput(view.filter)}
  <label for="task-title">Title</label>
  <input id="task-title" name="title" required maxlength="${TITLE_MAX}" value="${draft.title}">
  <label for="task-description">Description</label>
  <textarea id="task-description" name="description" rows="3" maxlength="${DESCRIPTION_MAX}">${draft.description}</textarea>
  <div class="row">
    <div><label for="task-assignee">Assignee</label>${userSelect('task-assignee', view.users, draft.assigneeId)}</div>
    <div><label for="task-due">Due date</label><input id="task-due" name="dueDate" type="date" value="${draft.dueDate}"></div>
  </div>
  <p><button type="submit">Create task</button></p>
</form>`;
}

function filterForm(filter: TaskStatus | undefined): SafeHtml {
  return html`<form method="get" action="/" class="card row" id="filter">
  <div><label for="filter-status">Status</label>
  <select id="filter-status" name="status">
    <option value="">All</option>
    ${TASK_STATUSES.map((s) => html`<option value="${s}"${s === filter ? html` selected` : ''}>${STATUS_LABELS[s]}</option>`)}
  </select></div>
  <div><button type="submit" class="secondary">Filter</button></div>
</form>`;
}

function taskRow(row: BoardRow, view: BoardView, withActions: boolean): SafeHtml {
  const { task } = row;
  const summary = task.description.length > SUMMARY_LENGTH ? `${task.description.slice(0, SUMMARY_LENGTH)}…` : task.description;
  return html`<tr id="task-${task.id}">
  <td><strong>${task.title}</strong>${summary ? html`<div class="muted">${summary}</div>` : ''}</td>
  <td><span class="badge status-${task.status}">${STATUS_LABELS[task.status]}</span></td>
  <td>${row.assigneeName ?? html`<span class="muted">Unassigned</span>`}</td>
  <td>${task.dueDate ?? html`<span class="muted">—</span>`}</td>
  ${withActions ? html`<td>${rowActions(row, view)}</td>` : ''}
</tr>`;
}

function rowActions(row: BoardRow, view: BoardView): SafeHtml {
  const { task } = row;
  const hidden = html`<input type="hidden" name="_csrf" value="${view.csrf}">${filterInput(view.filter)}`;
  return html`${
    row.mayUpdate
      ? html`<form method="post" action="/tasks/${task.id}/status" class="row">${hidden}
    <select name="status" aria-label="Status of ${task.title}">${TASK_STATUSES.map(
      (s) => html`<option value="${s}"${s === task.status ? html` selected` : ''}>${STATUS_LABELS[s]}</option>`,
    )}</select>
    <button type="submit" class="secondary">Set</button>
  </form>
  <form method="post" action="/tasks/${task.id}/assignee" class="row">${hidden}
    ${userSelect(`assignee-${task.id}`, view.users, task.assigneeId === null ? '' : String(task.assigneeId), `Assignee of ${task.title}`, row.assigneeName)}
    <button type="submit" class="secondary">Assign</button>
  </form>`
      : ''
  }${
    row.mayDelete
      ? html`<form method="post" action="/tasks/${task.id}/delete" class="inline">${hidden}<button type="submit" class="danger">Delete</button></form>`
      : ''
  }`;
}

/**
 * The assignee picker: only users who can be assigned. A current assignee who is not among them
 * (their Flow role was taken away) shows as the selected entry with value "", so the row tells
 * the truth and submitting it as it is unassigns the task.
 */
function userSelect(id: string, users: BoardView['users'], selected: string, ariaLabel?: string, selectedName?: string | null): SafeHtml {
  // Rows only (they pass the name): the create form re-shows a refused id as "Unassigned".
  const gone = selectedName !== undefined && selected !== '' && !users.some((u) => String(u.id) === selected);
  return html`<select id="${id}" name="assigneeId"${ariaLabel ? html` aria-label="${ariaLabel}"` : ''}>
    <option value="">Unassigned</option>
    ${gone ? html`<option value="" selected>${selectedName ?? `User #${selected}`} (cannot see tasks)</option>` : ''}
    ${users.map((u) => html`<option value="${u.id}"${String(u.id) === selected ? html` selected` : ''}>${u.name}</option>`)}
  </select>`;
}

/** Keeps the list's status filter across a POST, so the redirect lands where the user was. */
function filterInput(filter: TaskStatus | undefined): SafeHtml {
  return filter ? html`<input type="hidden" name="filter" value="${filter}">` : html``;
}
