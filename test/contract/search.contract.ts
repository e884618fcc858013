import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RANK_WINDOW } from '../../src/search/sql-engine.ts';
import { SearchQueryError, type IndexDefinition, type SearchDocument, type SearchEngine, type SearchQuery } from '../../src/search/contract.ts';

/** One engine on a fresh store (a temp file, a new database, an index prefix), and how to drop it. */
export interface SearchFixture {
  readonly engine: SearchEngine;
  close(): Promise<void>;
}

export type SearchFactory = () => Promise<SearchFixture>;

export const TASKS: IndexDefinition = {
  name: 'contract_tasks',
  fields: [
    { name: 'title', type: 'text', searchable: true },
    { name: 'description', type: 'text', searchable: true },
    { name: 'status', type: 'keyword', filterable: true },
    { name: 'assignee_id', type: 'integer', filterable: true, sortable: true },
    { name: 'due_date', type: 'date', filterable: true, sortable: true },
  ],
};

const doc = (id: number, title: string, description: string, extra: Partial<Record<'status' | 'assignee_id' | 'due_date', string | number | null>> = {}, version = 1): SearchDocument => ({
  id: String(id),
  version,
  fields: { title, description, status: 'todo', assignee_id: null, due_date: null, ...extra },
});

const SEED: SearchDocument[] = [
  doc(1, 'Write the quarterly report', 'Numbers for the board meeting', { status: 'doing', assignee_id: 7, due_date: '2026-12-01' }),
  doc(2, 'Book the café for the offsite', 'Ask about vegetarian options', { status: 'todo', assignee_id: 8, due_date: '2026-12-10' }),
  doc(3, 'Fix login bug', 'Users report a crash after login; the report has logs', { status: 'done', assignee_id: 7, due_date: '2026-11-20' }),
  doc(4, 'Plan quarterly review', 'Agenda and invitations', { status: 'todo', due_date: null }),
  doc(5, 'Résumé screening', 'Screen résumés for the backend role', { status: 'doing', assignee_id: 9, due_date: '2026-12-24' }),
  doc(6, 'Update AI model', 'Retrain on new data', { status: 'todo', assignee_id: 8, due_date: '2026-12-05' }),
];

/**
 * The search port's contract (src/search/contract.ts), the same assertions on every driver:
 * the text language, folding, ranking, filters, sort, paging, highlights, per-record ordering
 * of writes, alias swaps, counts, and hostile input that must never throw anything but a
 * SearchQueryError.
 */
export function describeSearchContract(name: string, factory: SearchFactory, options: { skip?: string } = {}): void {
  describe(`search contract: ${name}`, { skip: options.skip }, () => {
    let fixture: SearchFixture;
    let engine: SearchEngine;
    const ids = async (query: Omit<SearchQuery, 'limit'> & { limit?: number }) => (await engine.search(TASKS, { limit: 50, ...query })).hits.map((h) => h.id);

    before(async () => {
      fixture = await factory();
      engine = fixture.engine;
      await engine.ensureIndex(TASKS);
      await engine.ensureIndex(TASKS); // idempotent
      await engine.upsert(TASKS, TASKS.name, SEED);
      await engine.refresh(TASKS.name);
    });
    after(() => fixture?.close());

    test('counts the documents and answers a ping', async () => {
      await engine.ping();
      assert.equal(await engine.count(TASKS), SEED.length);
    });

    test('finds every word in any searchable field (AND), folding case', async () => {
      assert.deepEqual((await ids({ text: 'REPORT' })).sort(), ['1', '3']);
      assert.deepEqual(await ids({ text: 'report logs' }), ['3']);
      assert.deepEqual(await ids({ text: 'quarterly board' }), ['1']);
      assert.deepEqual(await ids({ text: 'nothingmatchesthis' }), []);
    });

    test('matches a prefix on the last word only while it is typed', async () => {
      assert.deepEqual((await ids({ text: 'quart' })).sort(), ['1', '4']);
      assert.deepEqual(await ids({ text: 'quart ' }), []);
      assert.deepEqual(await ids({ text: 'vegetar' }), ['2']);
    });

    test('matches quoted phrases in order', async () => {
      assert.deepEqual(await ids({ text: '"login bug"' }), ['3']);
      assert.deepEqual(await ids({ text: '"bug login"' }), []);
    });

    test('folds diacritics both ways', async () => {
      assert.deepEqual(await ids({ text: 'cafe' }), ['2']);
      assert.deepEqual(await ids({ text: 'resume' }), ['5']);
      assert.deepEqual(await ids({ text: 'Résumés' }), ['5']);
    });

    test('finds stopwords and two-letter words', async () => {
      assert.deepEqual((await ids({ text: 'about' })).sort(), ['2']);
      assert.deepEqual(await ids({ text: 'AI model' }), ['6']);
    });

    test('ranks a document with more matches first', async () => {
      await engine.upsert(TASKS, TASKS.name, [
        doc(41, 'Other things', 'A long note that says kiwi once among many other words of little interest'),
        doc(40, 'Kiwi kiwi kiwi', 'kiwi'),
      ]);
      await engine.refresh(TASKS.name);
      const hits = (await engine.search(TASKS, { text: 'kiwi', limit: 10 })).hits;
      assert.deepEqual(hits.map((h) => h.id), ['40', '41']);
      assert.ok(hits[0]!.score > hits[1]!.score, `${hits[0]!.score} > ${hits[1]!.score}`);
      await engine.delete(TASKS, TASKS.name, [{ id: '40', version: 2 }, { id: '41', version: 2 }]);
      await engine.refresh(TASKS.name);
    });

    test('a word in more documents than the rank window: filters first, explicit sorts see all, relevance pages are ordered', async () => {
      // Written oldest first: the SQL drivers rank the newest RANK_WINDOW matches (sql-engine.ts).
      const total = RANK_WINDOW + 20;
      const many = Array.from({ length: total }, (_, i) => doc(1000 + i, `Zebra crossing ${i}`, i % 3 === 0 ? 'zebra zebra' : 'plain', { status: i === 0 ? 'blocked' : 'todo', due_date: `2027-01-${String(1 + (i % 28)).padStart(2, '0')}` }));
      await engine.upsert(TASKS, TASKS.name, many);
      await engine.refresh(TASKS.name);
      try {
        // A filter narrows the matches before any window: the oldest match is still found.
        assert.deepEqual(await ids({ text: 'zebra', filters: [{ field: 'status', op: 'eq', value: 'blocked' }] }), ['1000']);
        const pages = async (query: Omit<SearchQuery, 'limit' | 'cursor'>) => {
          const hits: { id: string; score: number }[] = [];
          let cursor: string | undefined;
          for (let i = 0; i < 30; i++) {
            const result = await engine.search(TASKS, { ...query, limit: 100, cursor });
            hits.push(...result.hits.map((h) => ({ id: h.id, score: h.score })));
            if (result.next === null) break;
            cursor = result.next;
          }
          return hits;
        };
        const sorted = await pages({ text: 'zebra', sort: [{ field: 'due_date', direction: 'asc' }] });
        assert.equal(new Set(sorted.map((h) => h.id)).size, total, 'an explicit sort pages through every match');
        const ranked = await pages({ text: 'zebra' });
        assert.ok(ranked.length >= RANK_WINDOW && ranked.length <= total, `${ranked.length} ranked`);
        assert.equal(new Set(ranked.map((h) => h.id)).size, ranked.length, 'no document twice');
        assert.ok(ranked.some((h) => h.id === String(1000 + total - 1)), 'the newest match is ranked');
        for (let i = 1; i < ranked.length; i++) assert.ok(ranked[i - 1]!.score >= ranked[i]!.score, `scores descend across pages at ${i}`);
      } finally {
        await engine.delete(TASKS, TASKS.name, many.map((d) => ({ id: d.id, version: 2 })));
        await engine.refresh(TASKS.name);
      }
    });

    test('filters by equality, sets, ranges and missing values', async () => {
      assert.deepEqual((await ids({ filters: [{ field: 'status', op: 'eq', value: 'todo' }] })).sort(), ['2', '4', '6']);
      assert.deepEqual((await ids({ filters: [{ field: 'assignee_id', op: 'in', values: [7, 9] }] })).sort(), ['1', '3', '5']);
      assert.deepEqual((await ids({ filters: [{ field: 'due_date', op: 'range', gte: '2026-12-01', lte: '2026-12-10' }] })).sort(), ['1', '2', '6']);
      assert.deepEqual(await ids({ filters: [{ field: 'assignee_id', op: 'missing' }] }), ['4']);
      assert.deepEqual(await ids({ text: 'report', filters: [{ field: 'status', op: 'eq', value: 'done' }] }), ['3']);
      assert.deepEqual(await ids({ filters: [{ field: 'status', op: 'eq', value: 'TODO' }] }), [], 'keywords are exact');
    });

    test('sorts by a sortable field, missing values last, then by id', async () => {
      assert.deepEqual(await ids({ sort: [{ field: 'due_date', direction: 'asc' }] }), ['3', '1', '6', '2', '5', '4']);
      assert.deepEqual(await ids({ sort: [{ field: 'due_date', direction: 'desc' }] }), ['5', '2', '6', '1', '3', '4']);
      assert.deepEqual(await ids({ sort: [{ field: 'assignee_id', direction: 'asc' }] }), ['1', '3', '2', '6', '5', '4']);
    });

    test('pages with a cursor: every document once, then next is null', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const result = await engine.search(TASKS, { limit: 4, cursor, sort: [{ field: 'due_date', direction: 'asc' }] });
        seen.push(...result.hits.map((h) => h.id));
        if (result.next === null) break;
        cursor = result.next;
      }
      assert.deepEqual(seen, ['3', '1', '6', '2', '5', '4']);
    });

    test('returns the fields and marks the matched words, escaped', async () => {
      await engine.upsert(TASKS, TASKS.name, [doc(20, 'Escape <b>tags</b> & stuff', 'x')]);
      await engine.refresh(TASKS.name);
      const [hit] = (await engine.search(TASKS, { text: 'tags', limit: 5, highlight: ['title', 'description'] })).hits;
      assert.equal(hit?.id, '20');
      assert.equal(hit.fields.title, 'Escape <b>tags</b> & stuff');
      assert.equal(hit.highlights.title, 'Escape &lt;b&gt;<mark>tags</mark>&lt;/b&gt; &amp; stuff');
      assert.equal(hit.highlights.description, undefined);
      const [cafe] = (await engine.search(TASKS, { text: 'cafe', limit: 5, highlight: ['title'] })).hits;
      assert.equal(cafe?.highlights.title, 'Book the <mark>café</mark> for the offsite');
      await engine.delete(TASKS, TASKS.name, [{ id: '20', version: 2 }]);
    });

    test('an older write never overwrites a newer one; deletes leave a tombstone', async () => {
      await engine.upsert(TASKS, TASKS.name, [doc(30, 'zebra newer', 'x', {}, 20)]);
      await engine.upsert(TASKS, TASKS.name, [doc(30, 'zebra older', 'x', {}, 10)]);
      await engine.refresh(TASKS.name);
      assert.deepEqual(await ids({ text: 'newer' }), ['30']);
      assert.deepEqual(await ids({ text: 'older' }), []);
      // Idempotent: the same version again changes nothing.
      await engine.upsert(TASKS, TASKS.name, [doc(30, 'zebra newer', 'x', {}, 20)]);
      await engine.delete(TASKS, TASKS.name, [{ id: '30', version: 30 }]);
      await engine.upsert(TASKS, TASKS.name, [doc(30, 'zebra stale', 'x', {}, 25)]);
      await engine.refresh(TASKS.name);
      assert.deepEqual(await ids({ text: 'zebra' }), [], 'an update older than the delete stays deleted');
      await engine.upsert(TASKS, TASKS.name, [doc(30, 'zebra back', 'x', {}, 40)]);
      // Within one batch the highest version wins, whatever the order.
      await engine.upsert(TASKS, TASKS.name, [doc(31, 'yak two', 'x', {}, 2), doc(31, 'yak one', 'x', {}, 1)]);
      await engine.refresh(TASKS.name);
      assert.deepEqual(await ids({ text: 'zebra' }), ['30']);
      assert.deepEqual(await ids({ text: 'yak' }), ['31']);
      assert.deepEqual(await ids({ text: 'one' }), []);
      const versions = await engine.versions(TASKS, TASKS.name, ['30', '31', '999']);
      assert.deepEqual([...versions.entries()].sort(), [['30', 40], ['31', 2]]);
      await engine.delete(TASKS, TASKS.name, [{ id: '30', version: 50 }, { id: '31', version: 50 }]);
      await engine.refresh(TASKS.name);
      assert.equal(await engine.count(TASKS), SEED.length);
    });

    test('lists live ids in pages for the consistency sync', async () => {
      const first = await engine.ids(TASKS, TASKS.name, undefined, 4);
      const rest = await engine.ids(TASKS, TASKS.name, first[first.length - 1], 100);
      assert.deepEqual([...first, ...rest].sort(), SEED.map((d) => d.id).sort());
    });

    test('never throws on hostile text: operators, quotes, huge, unicode, empty', async () => {
      const inputs = [
        'report AND OR NOT -login +board',
        'title:report OR (x',
        '"unbalanced quote',
        'report"',
        '""',
        '*',
        'rep*ort ~2 ^3 NEAR(a b) @@ :* <-> \\',
        "'; DROP TABLE search_aliases; --",
        'a'.repeat(10_240),
        'word '.repeat(2_048),
        '日本語のテキスト 🚀 Ǆemal ﬁle',
        '',
        '   ',
        '\u0000\u200b',
      ];
      for (const text of inputs) {
        const result = await engine.search(TASKS, { text, limit: 5, highlight: ['title'] });
        assert.ok(Array.isArray(result.hits), JSON.stringify(text.slice(0, 40)));
      }
      assert.deepEqual(await ids({ text: 'report AND' }), [], '"and" is a word to find, not an operator');
      assert.deepEqual((await ids({ text: '-login' })), ['3'], 'a minus is not "not"');
      assert.deepEqual(await ids({ text: '"login bug' }), ['3'], 'an unbalanced quote is text');
      assert.equal(await engine.count(TASKS), SEED.length);
    });

    test('refuses what the definition does not allow with a SearchQueryError', async () => {
      const bad: SearchQuery[] = [
        { limit: 5, filters: [{ field: 'title', op: 'eq', value: 'x' }] },
        { limit: 5, filters: [{ field: 'nope', op: 'eq', value: 'x' }] },
        { limit: 5, filters: [{ field: 'assignee_id', op: 'eq', value: 'seven' }] },
        { limit: 5, sort: [{ field: 'status', direction: 'asc' }] },
        { limit: 5, cursor: 'not-a-cursor' },
        { limit: 0 },
        { limit: 5, highlight: ['status'] },
      ];
      for (const query of bad) await assert.rejects(engine.search(TASKS, query), SearchQueryError, JSON.stringify(query));
    });

    test('rebuilds into a new physical index and swaps the alias in one step', async () => {
      const old = await engine.resolveAlias(TASKS.name);
      assert.ok(old);
      const fresh = await engine.createIndex(TASKS);
      assert.notEqual(fresh, old);
      assert.deepEqual((await engine.physicalIndexes(TASKS.name)).sort(), [old, fresh].sort());
      await engine.upsert(TASKS, fresh, [doc(1, 'Only in the new index', 'x')]);
      await engine.refresh(fresh);
      assert.equal(await engine.count(TASKS, fresh), 1);
      // Until the swap, queries still read the old index.
      assert.deepEqual(await ids({ text: 'only' }), []);
      assert.equal(await engine.swapAlias(TASKS.name, fresh), old);
      assert.deepEqual(await ids({ text: 'only new' }), ['1']);
      assert.equal(await engine.count(TASKS), 1);
      await engine.dropIndex(old);
      assert.deepEqual(await engine.physicalIndexes(TASKS.name), [fresh]);
      assert.deepEqual(await ids({ text: 'only' }), ['1']);
    });
  });
}
