import escapeHtml from 'escape-html';
import type { IndexDefinition, FieldValue } from './contract.ts';
import { fold, type SearchTerm } from './query-text.ts';

/** Characters of context kept around the first match of a long field. */
const WINDOW = 160;

/**
 * Marks matched words in the port, not the engine: every driver highlights alike, and the
 * output is escaped here once (`<mark>` is the only markup). Phrases mark each of their words.
 */
export function highlight(definition: IndexDefinition, fields: readonly string[], values: Readonly<Record<string, FieldValue>>, terms: readonly SearchTerm[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (terms.length === 0) return out;
  const exact = new Set(terms.filter((t) => !t.prefix).flatMap((t) => t.words));
  const prefixes = terms.filter((t) => t.prefix).map((t) => t.words[0]!);
  const matches = (word: string) => exact.has(word) || prefixes.some((p) => word.startsWith(p));
  for (const name of fields) {
    const value = values[name];
    if (typeof value !== 'string' || !definition.fields.some((f) => f.name === name)) continue;
    const marked = mark(value, matches);
    if (marked !== undefined) out[name] = marked;
  }
  return out;
}

function mark(text: string, matches: (word: string) => boolean): string | undefined {
  const spans: [number, number][] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
    if (matches(fold(m[0]))) spans.push([m.index, m.index + m[0].length]);
  }
  if (spans.length === 0) return undefined;
  const start = text.length > WINDOW ? Math.max(0, spans[0]![0] - WINDOW / 4) : 0;
  const end = Math.min(text.length, start + WINDOW);
  let out = start > 0 ? '…' : '';
  let at = start;
  for (const [from, to] of spans) {
    if (from < at || to > end) continue;
    out += `${escapeHtml(text.slice(at, from))}<mark>${escapeHtml(text.slice(from, to))}</mark>`;
    at = to;
  }
  out += escapeHtml(text.slice(at, end)) + (end < text.length ? '…' : '');
  return out;
}
