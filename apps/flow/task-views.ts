import { html, type SafeHtml } from '../../src/http/html.ts';
import { timeTag } from '../../src/http/time.ts';
import type { Attachment } from './attachment.ts';
import type { ActivityEntry } from './task-activity.ts';
import { DESCRIPTION_MAX, STATUS_LABELS, TASK_STATUSES, TITLE_MAX, type Task } from './task.ts';
import { sizeLabel, userSelect } from './view-parts.ts';

/** What the edit form shows again after a refused submit (the fields as typed). */
export interface TaskDraftValues {
  readonly title: string;
  readonly description: string;
  readonly status: string;
  readonly assigneeId: string;
  readonly dueDate: string;
}

export interface TaskPageView {
  readonly task: Task;
  readonly ownerName: string;
  readonly assigneeName: string | null;
  readonly attachments: readonly Attachment[];
  readonly activity: readonly (ActivityEntry & { readonly actorName: string })[];
  readonly users: readonly { readonly id: number; readonly name: string }[];
  readonly csrf: string;
  readonly mayUpdate: boolean;
  readonly mayDelete: boolean;
  readonly maxUploadBytes: number;
  readonly flash?: string | undefined;
  readonly error?: string | undefined;
  readonly draft?: TaskDraftValues | undefined;
}

/** One task: its fields (an edit form when the user may change it), attachments, history, delete. */
export function taskPage(view: TaskPageView): SafeHtml {
  const { task } = view;
  return html`<p class="crumbs"><a href="/">← All tasks</a></p>
<h1>${task.title}</h1>
<p class="muted meta"><span class="badge status-${task.status}">${STATUS_LABELS[task.status]}</span>
  Created by ${view.ownerName} ${timeTag(task.createdAt)} · updated ${timeTag(task.updatedAt)}</p>
${view.flash ? html`<p class="flash" role="status">${view.flash}</p>` : ''}
${view.error ? html`<p class="flash error" role="alert">${view.error}</p>` : ''}
${view.mayUpdate ? editForm(view) : details(view)}
${attachmentsSection(view)}
${activitySection(view)}
${view.mayDelete ? html`<p class="danger-zone"><a class="button danger" href="/tasks/${task.id}/delete">Delete this task…</a></p>` : ''}`;
}

function details(view: TaskPageView): SafeHtml {
  const { task } = view;
  return html`<section class="card" aria-labelledby="details-h">
  <h2 id="details-h">Details</h2>
  <dl class="fields">
    <dt>Assignee</dt><dd>${view.assigneeName ?? html`<span class="muted">Unassigned</span>`}</dd>
    <dt>Due</dt><dd>${task.dueDate ? timeTag(`${task.dueDate}T00:00:00Z`, 'date') : html`<span class="muted">—</span>`}</dd>
    <dt>Description</dt><dd class="description">${task.description || html`<span class="muted">None</span>`}</dd>
  </dl>
</section>`;
}

function editForm(view: TaskPageView): SafeHtml {
  const { task } = view;
  const values: TaskDraftValues = view.draft ?? {
    title: task.title,
    description: task.description,
    status: task.status,
    assigneeId: task.assigneeId === null ? '' : String(task.assigneeId),
    dueDate: task.dueDate ?? '',
  };
  return html`<form method="post" action="/tasks/${task.id}" class="card" id="edit-task">
  <h2>Edit</h2>
  <input type="hidden" name="_csrf" value="${view.csrf}">
  <label for="edit-title">Title</label>
  <input id="edit-title" name="title" required maxlength="${TITLE_MAX}" value="${values.title}">
  <label for="edit-description">Description</label>
  <textarea id="edit-description" name="description" rows="5" maxlength="${DESCRIPTION_MAX}">${values.description}</textarea>
  <div class="row">
    <div><label for="edit-status">Status</label><select id="edit-status" name="status">${TASK_STATUSES.map(
      (s) => html`<option value="${s}"${s === values.status ? html` selected` : ''}>${STATUS_LABELS[s]}</option>`,
    )}</select></div>
    <div><label for="edit-assignee">Assignee</label>${userSelect('edit-assignee', view.users, values.assigneeId, undefined, view.assigneeName)}</div>
    <div><label for="edit-due">Due date</label><input id="edit-due" name="dueDate" type="date" value="${values.dueDate}"></div>
  </div>
  <p><button type="submit">Save changes</button></p>
</form>`;
}

function attachmentsSection(view: TaskPageView): SafeHtml {
  const { task } = view;
  return html`<section class="card" aria-labelledby="attachments-h" id="attachments">
  <h2 id="attachments-h">Attachments</h2>
  ${
    view.attachments.length === 0
      ? html`<p class="muted">No files yet.</p>`
      : html`<ul class="files">${view.attachments.map(
          (a) => html`<li><a href="/api/tasks/${task.id}/attachments/${a.id}" download="${a.filename}">${a.filename}</a>
      <span class="muted">${sizeLabel(a.size)} · ${timeTag(a.createdAt)}</span>
      ${
        view.mayUpdate
          ? html`<form method="post" action="/tasks/${task.id}/attachments/${a.id}/delete" class="inline" data-confirm="Delete the file ${a.filename}?">
        <input type="hidden" name="_csrf" value="${view.csrf}"><button type="submit" class="link danger-link" aria-label="Delete ${a.filename}">Delete</button></form>`
          : ''
      }</li>`,
        )}</ul>`
  }
  ${
    view.mayUpdate
      ? html`<form method="post" action="/tasks/${task.id}/attachments" enctype="multipart/form-data" class="row" id="upload">
    <input type="hidden" name="_csrf" value="${view.csrf}">
    <div><label for="upload-file">Add a file <span class="muted">(up to ${sizeLabel(view.maxUploadBytes)})</span></label>
    <input id="upload-file" name="file" type="file" required></div>
    <div><button type="submit" class="secondary">Upload</button></div>
  </form>`
      : ''
  }
</section>`;
}

function activitySection(view: TaskPageView): SafeHtml {
  return html`<section class="card" aria-labelledby="activity-h" id="activity">
  <h2 id="activity-h">Activity</h2>
  ${
    view.activity.length === 0
      ? html`<p class="muted">Nothing yet.</p>`
      : html`<ol class="activity">${view.activity.map((e) => html`<li><strong>${e.actorName}</strong> ${e.summary} <span class="muted">${timeTag(e.createdAt)}</span></li>`)}</ol>`
  }
</section>`;
}

/** The confirmation a delete goes through (works without a script): what goes with the task, and a way back. */
export function confirmDeletePage(task: Task, attachments: number, csrf: string): SafeHtml {
  return html`<h1>Delete “${task.title}”?</h1>
<p>The task${attachments > 0 ? html`, its ${attachments} attachment${attachments === 1 ? '' : 's'}` : ''} and its history are removed for good.</p>
<form method="post" action="/tasks/${task.id}/delete" class="row" id="confirm-delete">
  <input type="hidden" name="_csrf" value="${csrf}">
  <button type="submit" class="danger">Delete the task</button>
  <a href="/tasks/${task.id}">Cancel</a>
</form>`;
}
