import { html, type SafeHtml } from '../../src/http/html.ts';

export function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The assignee picker: only users who can be assigned. A current assignee who is not among them
 * (their Flow role was taken away) shows as the selected entry with value "", so the form tells
 * the truth and submitting it as it is unassigns the task.
 */
export function userSelect(
  id: string,
  users: readonly { readonly id: number; readonly name: string }[],
  selected: string,
  ariaLabel?: string,
  selectedName?: string | null,
): SafeHtml {
  // Existing tasks only (they pass the name): the create form re-shows a refused id as "Unassigned".
  const gone = selectedName !== undefined && selected !== '' && !users.some((u) => String(u.id) === selected);
  return html`<select id="${id}" name="assigneeId"${ariaLabel ? html` aria-label="${ariaLabel}"` : ''}>
    <option value="">Unassigned</option>
    ${gone ? html`<option value="" selected>${selectedName ?? `User #${selected}`} (cannot see tasks)</option>` : ''}
    ${users.map((u) => html`<option value="${u.id}"${String(u.id) === selected ? html` selected` : ''}>${u.name}</option>`)}
  </select>`;
}
