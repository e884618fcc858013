/** What the board's and the task page's forms share: reading their loosely typed fields, and saying what is wrong. */

const FIELD_LABELS: Readonly<Record<string, string>> = {
  title: 'Title',
  description: 'Description',
  status: 'Status',
  assigneeId: 'Assignee',
  dueDate: 'Due date',
};

/** '' unassigns; anything that is not a plain positive integer becomes NaN, which the draft check refuses. */
export function formUserId(text: string): number | null {
  if (text === '') return null;
  return /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : Number.NaN;
}

/** The draft check's field problems as one sentence per field ("Due date must be a real date as YYYY-MM-DD."). */
export function describeFields(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([field, problem]) => `${FIELD_LABELS[field] ?? field} ${problem}.`)
    .join(' ');
}
