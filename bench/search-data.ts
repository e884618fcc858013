// The generated data of bench/search.ts: flow tasks whose words follow a Zipf distribution, and
// the queries run against them. Deterministic (a fixed seed), so every driver and every run
// indexes the same documents.
import type { SearchDocument, SearchQuery } from '../src/search/contract.ts';
import type { SearchSource } from '../src/search/source.ts';
import { TASKS_INDEX } from '../apps/flow/search-index.ts';

// A vocabulary with a Zipf distribution (s = 1), as natural text has: 2,000 made-up words after
// some real ones (accents included), so the commonest word is in most documents (like "the")
// and most words are rare. Queries use words picked evenly from ranks 50 and up (what people
// search for); a second set of queries uses the ten commonest words, the worst case.
const REAL = 'report budget review meeting invoice deploy server login bug release design customer email backlog sprint roadmap café résumé naïve façade'.split(' ');
const STATUSES = ['todo', 'doing', 'done'] as const;

let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const SYLLABLES = 'ka lo mi nu pe ra si to vu za be do fi gu ha je ko lu ma ne'.split(' ');
const VOCABULARY = [...REAL];
while (VOCABULARY.length < 2_000) {
  const w = Array.from({ length: 2 + Math.floor(random() * 3) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join('');
  if (!VOCABULARY.includes(w)) VOCABULARY.push(w);
}
const cumulative: number[] = [];
VOCABULARY.reduce((sum, _, rank) => (cumulative.push(sum + 1 / (rank + 1)), sum + 1 / (rank + 1)), 0);
const word = () => {
  const target = random() * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo]!;
};
export const queryWord = () => VOCABULARY[50 + Math.floor(random() * (VOCABULARY.length - 50))]!;
export const commonWord = () => VOCABULARY[Math.floor(random() * 10)]!;
const sentence = (n: number) => Array.from({ length: n }, word).join(' ');

export function task(id: number): SearchDocument {
  const day = 1 + (id % 28);
  return {
    id: String(id),
    version: 1_700_000_000_000 + id,
    fields: {
      title: `${sentence(3)} ${id}`,
      description: sentence(20),
      status: STATUSES[id % 3]!,
      assignee_id: id % 7 === 0 ? null : 1 + (id % 50),
      owner_id: 1 + (id % 20),
      due_date: `2027-${String(1 + (id % 12)).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      updated_at: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    },
  };
}

/**
 * The first `documents` tasks, as the reindex and the sync read them. Generated up front, so the
 * reindex rate is the engine's (and every read of a task gives the same document).
 */
export function taskSource(documents: number): SearchSource {
  const all = Array.from({ length: documents }, (_, i) => task(i + 1));
  return {
    definition: TASKS_INDEX,
    async load(ids) {
      return ids.map(Number).filter((n) => Number.isInteger(n) && n >= 1 && n <= documents).map((n) => all[n - 1]!);
    },
    async scan(after, limit) {
      const from = after === undefined ? 0 : Number(after);
      return all.slice(from, from + limit);
    },
    count: async () => documents,
  };
}

export function queries(pick: () => string, count: number): SearchQuery[] {
  const out: SearchQuery[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 5;
    const a = pick();
    const b = pick();
    const base = { limit: 25, highlight: ['title', 'description'] };
    if (kind === 0) out.push({ ...base, text: a });
    else if (kind === 1) out.push({ ...base, text: `${a} ${b}` });
    else if (kind === 2) out.push({ ...base, text: `${a} ${b.slice(0, 3)}` });
    else if (kind === 3) out.push({ ...base, text: `"${a} ${b}"` });
    else out.push({ ...base, text: a, filters: [{ field: 'status', op: 'eq', value: 'todo' }, { field: 'due_date', op: 'range', gte: '2027-03-01', lte: '2027-06-30' }] });
  }
  return out;
}

