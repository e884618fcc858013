import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configError, loadConfig, projectFolders } from './support.ts';

describe('search configuration (SEARCH_DRIVER and friends)', () => {
  const project = projectFolders('marg-search-config-');

  it('defaults to the embedded FTS5 file under STORAGE_PATH', () => {
    const cwd = project();
    const config = loadConfig({ cwd, env: {} });
    assert.equal(config.search.driver, 'sqlite');
    assert.equal(config.search.file, `${cwd}/storage/search/search.sqlite`);
    assert.equal(config.search.queue, 'default');
  });

  it('mysql/pgsql use the platform database, which must be on that server', () => {
    assert.equal(loadConfig({ cwd: project(), env: { SEARCH_DRIVER: 'pgsql', DB_CONNECTION: 'pgsql' } }).search.driver, 'pgsql');
    assert.equal(loadConfig({ cwd: project(), env: { SEARCH_DRIVER: 'mysql', PLATFORM_DB_DRIVER: 'mariadb' } }).search.driver, 'mysql');
    const error = configError({ SEARCH_DRIVER: 'mysql' }, project());
    assert.match(error.message, /SEARCH_DRIVER: mysql keeps its indexes in the platform database, which is on sqlite/);
  });

  it('elasticsearch/opensearch need their URL; a bad value names its variable', () => {
    assert.match(configError({ SEARCH_DRIVER: 'elasticsearch' }, project()).message, /ELASTICSEARCH_URL: is required when SEARCH_DRIVER=elasticsearch/);
    assert.match(configError({ SEARCH_DRIVER: 'opensearch' }, project()).message, /OPENSEARCH_URL: is required/);
    assert.equal(loadConfig({ cwd: project(), env: { SEARCH_DRIVER: 'opensearch', OPENSEARCH_URL: 'http://127.0.0.1:9200' } }).search.url, 'http://127.0.0.1:9200');
    assert.match(configError({ SEARCH_DRIVER: 'meilisearch' }, project()).message, /SEARCH_DRIVER: must be one of sqlite, mysql, pgsql, elasticsearch, opensearch/);
    const bad = configError({ SEARCH_DRIVER: 'elasticsearch', ELASTICSEARCH_URL: 'es.local:9200' }, project()).message;
    assert.match(bad, /ELASTICSEARCH_URL: has the wrong format/);
    assert.doesNotMatch(bad, /es\.local/, 'a URL may hold a password: never echoed');
  });
});
