
export const REPORT_COLUMNS = ['id', 'title', 'status', 'assignee', 'due', 'created', 'updated'] as const;
export type ReportRow = Readonly<Record<(typeof REPORT_COLUMNS)[number], string | number>>;

// A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;

/** Text a spreadsheet shows as text: a leading `'` turns `=HYPERLINK(…)` into a plain string. */
export function defuse(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * RFC 4180 CSV (csv-stringify: quotes fields with `,` `"` CR or LF and doubles quotes; CRLF
 * line ends), with a header row, formula-looking text defused, and a UTF-8 byte order mark so
 * that spreadsheet programs read accented titles right.
 */
export async function toCsv(rows: readonly ReportRow[]): Promise<string> {
  // Imported by the report job (on a worker): a web node registers the job and never loads it (issue 19).
  const { stringify } = await import('csv-stringify/sync');
  const records = rows.map((row) => REPORT_COLUMNS.map((column) => {
    const value = row[column];
    return typeof value === 'string' ? defuse(value) : value;
  }));
  return stringify([[...REPORT_COLUMNS], ...records], { record_delimiter: 'windows', bom: true });
}
