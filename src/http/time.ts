import { html, type SafeHtml } from './html.ts';

/**
 * A date for a page: `<time datetime>` with UTC as the text, which /assets/marg.js rewrites in
 * the reader's locale and time zone (the browser knows both; Accept-Language knows no zone).
 */
export function timeTag(iso: string | null | undefined, format: 'date' | 'datetime' = 'datetime'): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return html`${iso}`;
  const text = format === 'date' ? at.toISOString().slice(0, 10) : `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${at.toISOString()}" data-format="${format}">${text}</time>`;
}
