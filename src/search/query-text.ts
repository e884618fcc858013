/**
 * The query language users type into a search box, as simple as Scout's: words (all must
 * match, in any searchable field), "quoted phrases", and a prefix match on the last word
 * while it is being typed. Nothing else is syntax: operators (`AND`, `-`, `*`, `:`, `(`),
 * unbalanced quotes and punctuation are read as text, and only letters and digits ever reach
 * an engine, so no engine's own query syntax can be injected. Hand-written: each engine's
 * escaping rules differ, and a parser that emits only folded words is the one rule they share.
 */

/** At most this many words are used; the rest of a very long query is ignored. */
export const MAX_TERMS = 32;
/** Longer words are cut (no engine indexes a 60-letter word usefully). */
export const MAX_WORD = 60;

export interface SearchTerm {
  /** Folded words; more than one only in a phrase. */
  readonly words: readonly string[];
  readonly phrase: boolean;
  /** The last word as typed (no space after it): matches words starting with it. */
  readonly prefix: boolean;
}

/** Lower case without diacritics (`Café` → `cafe`), as FTS5's `unicode61 remove_diacritics 2` folds. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
}

/** The words of a text, folded. */
export function words(text: string): string[] {
  return (fold(text).match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => w.slice(0, MAX_WORD));
}

export function parseSearchText(text: string | undefined): SearchTerm[] {
  if (!text) return [];
  const terms: SearchTerm[] = [];
  const chunks = text.split('"');
  // Chunks at odd positions are inside quotes; a last odd chunk has no closing quote: plain words.
  const balanced = chunks.length % 2 === 1;
  chunks.forEach((chunk, index) => {
    const quoted = index % 2 === 1 && (balanced || index < chunks.length - 1);
    const found = words(chunk);
    if (found.length === 0) return;
    if (quoted && found.length > 1) terms.push({ words: found, phrase: true, prefix: false });
    else for (const word of found) terms.push({ words: [word], phrase: false, prefix: false });
  });
  // Prefix only while typing: the query ends in a letter or digit, and the last term is a bare word.
  const last = terms[terms.length - 1];
  if (last && !last.phrase && /[\p{L}\p{N}]$/u.test(text)) terms[terms.length - 1] = { ...last, prefix: true };
  const unique = dedupe(terms);
  return unique.length > MAX_TERMS ? unique.slice(0, MAX_TERMS).map((t) => ({ ...t, prefix: false })) : unique;
}

function dedupe(terms: SearchTerm[]): SearchTerm[] {
  const seen = new Set<string>();
  return terms.filter((t) => {
    const key = `${t.phrase ? 'p' : 'w'}${t.prefix ? '*' : ''}:${t.words.join(' ')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
