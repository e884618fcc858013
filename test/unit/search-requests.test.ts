import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aliasActions, bulkBody, bulkFailures, filterQuery, indexBody, mapHits, searchBody } from '../../src/search/elastic-requests.ts';
import { ElasticLikeEngine, type EsTransport } from '../../src/search/elastic.ts';
import { parseSearchText } from '../../src/search/query-text.ts';
import { checkDefinition, decodeOffset, encodeOffset } from '../../src/search/definition.ts';
import { allScheduledTasks } from '../../src/platform/schedule.ts';
import { APPS } from '../../apps/index.ts';
import { TASKS } from '../contract/search.contract.ts';

describe('search query language (query-text.ts)', () => {
  it('reads words, phrases and a prefix on the last word; everything else is text', () => {
    assert.deepEqual(parseSearchText('Café report'), [
      { words: ['cafe'], phrase: false, prefix: false },
      { words: ['report'], phrase: false, prefix: true },
    ]);
    assert.deepEqual(parseSearchText('"login bug" fix '), [
      { words: ['login', 'bug'], phrase: true, prefix: false },
      { words: ['fix'], phrase: false, prefix: false },
    ]);
    assert.deepEqual(parseSearchText('"unbalanced quote'), [
      { words: ['unbalanced'], phrase: false, prefix: false },
      { words: ['quote'], phrase: false, prefix: true },
    ]);
    assert.deepEqual(parseSearchText('-a* OR title:(x) NEAR/2 ~ ^ \\ ; --'), [
      { words: ['a'], phrase: false, prefix: false },
      { words: ['or'], phrase: false, prefix: false },
      { words: ['title'], phrase: false, prefix: false },
      { words: ['x'], phrase: false, prefix: false },
      { words: ['near'], phrase: false, prefix: false },
      { words: ['2'], phrase: false, prefix: false },
    ]);
    assert.deepEqual(parseSearchText(''), []);
    assert.deepEqual(parseSearchText('  *** '), []);
    assert.equal(parseSearchText('x '.repeat(5000) + Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')).length, 32);
    assert.equal(parseSearchText('b'.repeat(10_000))[0]!.words[0]!.length, 60);
  });

  it('only letters and digits ever reach an engine', () => {
    for (const text of ['"a" OR "b"', "x'; DROP TABLE y; --", 'a:* & !b | c <-> d', '+a -b ~c "d*"']) {
      for (const term of parseSearchText(text)) for (const word of term.words) assert.match(word, /^[\p{L}\p{N}]+$/u, text);
    }
  });

  it('cursors are exact: junk around a valid one is refused', () => {
    assert.equal(decodeOffset(encodeOffset(40)), 40);
    assert.throws(() => decodeOffset(`${encodeOffset(40)}!!`));
    assert.throws(() => decodeOffset(encodeOffset(999_999)));
  });

  it('refuses a definition that cannot work on every engine', () => {
    assert.throws(() => checkDefinition({ name: 'Bad-Name', fields: [{ name: 'a', type: 'text', searchable: true }] }), /name/);
    assert.throws(() => checkDefinition({ name: 'x', fields: [{ name: 'id', type: 'text', searchable: true }] }), /field "id"/);
    assert.throws(() => checkDefinition({ name: 'x', fields: [{ name: 'n', type: 'integer', searchable: true }] }), /only text/);
    assert.throws(() => checkDefinition({ name: 'x', fields: [{ name: 'k', type: 'keyword', filterable: true }] }), /no searchable/);
  });

  it('the scheduler runs the consistency sync nightly at 00:00', () => {
    const task = allScheduledTasks(APPS).find((t) => t.name === 'search:sync');
    assert.equal(task?.cron, '0 0 * * *');
  });
});

describe('Elasticsearch/OpenSearch requests (elastic-requests.ts), without a server', () => {
  it('maps fields with folding text, keywords, longs and dates, strictly', () => {
    const body = indexBody(TASKS) as { settings: unknown; mappings: { dynamic: string; properties: Record<string, unknown> } };
    assert.equal(body.mappings.dynamic, 'strict');
    assert.deepEqual(body.mappings.properties, {
      doc_id: { type: 'keyword' },
      deleted: { type: 'boolean' },
      title: { type: 'text', analyzer: 'marg_folding' },
      description: { type: 'text', analyzer: 'marg_folding' },
      status: { type: 'keyword' },
      assignee_id: { type: 'long' },
      due_date: { type: 'date', format: 'strict_date_optional_time||yyyy-MM-dd' },
    });
    assert.deepEqual(body.settings, { analysis: { analyzer: { marg_folding: { type: 'custom', tokenizer: 'standard', filter: ['lowercase', 'asciifolding'] } } } });
  });

  it('writes and deletes with external versions; a delete is a tombstone', () => {
    const lines = bulkBody(TASKS, 'p1', [{ id: '7', version: 1700, fields: { title: 'T', description: 'D', status: 'todo', assignee_id: 3 } }], [{ id: '8', version: 1800 }]);
    assert.deepEqual(lines, [
      { index: { _index: 'p1', _id: '7', version: 1700, version_type: 'external_gte' } },
      { doc_id: '7', deleted: false, title: 'T', description: 'D', status: 'todo', assignee_id: 3, due_date: null },
      { index: { _index: 'p1', _id: '8', version: 1800, version_type: 'external_gte' } },
      { doc_id: '8', deleted: true },
    ]);
  });

  it('treats a 409 (an older version) as done and anything else as a failure', () => {
    assert.deepEqual(bulkFailures({ errors: false, items: [] }), []);
    const failures = bulkFailures({
      errors: true,
      items: [
        { index: { status: 201 } },
        { index: { status: 409, error: { type: 'version_conflict_engine_exception', reason: 'older' } } },
        { index: { status: 400, error: { type: 'mapper_parsing_exception', reason: 'bad' } } },
      ],
    });
    assert.deepEqual(failures, ['400 mapper_parsing_exception: bad']);
  });

  it('builds the query: terms as multi_match, filters in filter context, sort with missing last, one extra hit', () => {
    const terms = parseSearchText('"login bug" rep');
    const body = searchBody(TASKS, terms, { limit: 10, filters: [{ field: 'status', op: 'in', values: ['todo', 'doing'] }] }, [{ field: 'due_date', direction: 'asc' }], 20);
    assert.deepEqual(body, {
      from: 20,
      size: 11,
      track_total_hits: false,
      query: {
        bool: {
          must: [
            { multi_match: { query: 'login bug', fields: ['title', 'description'], type: 'phrase' } },
            { multi_match: { query: 'rep', fields: ['title', 'description'], type: 'phrase_prefix' } },
          ],
          filter: [{ term: { deleted: false } }, { terms: { status: ['todo', 'doing'] } }],
        },
      },
      sort: [{ due_date: { order: 'asc', missing: '_last' } }, { _score: { order: 'desc' } }, { doc_id: { order: 'asc' } }],
    });
    const all = searchBody(TASKS, [], { limit: 5 }, [], 0) as { query: { bool: Record<string, unknown> }; sort: unknown[] };
    assert.equal(all.query.bool.must, undefined);
    assert.deepEqual(all.sort, [{ doc_id: { order: 'asc' } }]);
    assert.deepEqual(filterQuery({ field: 'due_date', op: 'range', gte: '2026-01-01' }), { range: { due_date: { gte: '2026-01-01' } } });
    assert.deepEqual(filterQuery({ field: 'assignee_id', op: 'missing' }), { bool: { must_not: { exists: { field: 'assignee_id' } } } });
  });

  it('maps hits to the port: fields, score, escaped highlights; the extra hit is dropped', () => {
    const hits = mapHits(
      TASKS,
      [
        { _id: '3', _score: 2.5, _source: { doc_id: '3', title: 'Fix <login> bug', description: 'x', status: 'done', assignee_id: 7, due_date: null } },
        { _id: '4', _score: 1, _source: {} },
      ],
      { limit: 1, highlight: ['title'] },
      parseSearchText('login '),
    );
    assert.deepEqual(hits, [{ id: '3', score: 2.5, fields: { title: 'Fix <login> bug', description: 'x', status: 'done', assignee_id: 7, due_date: null }, highlights: { title: 'Fix &lt;<mark>login</mark>&gt; bug' } }]);
  });

  it('swaps an alias in one atomic _aliases call (a recording transport, not a driver test)', async () => {
    assert.deepEqual(aliasActions('a', 'a__2', 'a__1'), { actions: [{ remove: { index: 'a__1', alias: 'a' } }, { add: { index: 'a__2', alias: 'a' } }] });
    const calls: string[] = [];
    const transport: EsTransport = {
      async request(method, path, body) {
        calls.push(`${method} ${path} ${body === undefined ? '' : JSON.stringify(body)}`);
        if (path === '/_alias/m_contract_tasks') return { status: 200, body: { m_contract_tasks__old: { aliases: {} } } };
        return { status: 200, body: { acknowledged: true } };
      },
      async close() {},
    };
    const engine = new ElasticLikeEngine('elasticsearch', transport, 'm_');
    assert.equal(await engine.swapAlias('contract_tasks', 'm_contract_tasks__new'), 'm_contract_tasks__old');
    assert.deepEqual(calls, [
      'GET /_alias/m_contract_tasks ',
      `POST /_aliases ${JSON.stringify({ actions: [{ remove: { index: 'm_contract_tasks__old', alias: 'm_contract_tasks' } }, { add: { index: 'm_contract_tasks__new', alias: 'm_contract_tasks' } }] })}`,
    ]);
  });
});
