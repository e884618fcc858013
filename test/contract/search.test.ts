import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteFile } from '../../src/database/sqlite-file.ts';
import { MysqlFulltextEngine } from '../../src/search/mysql-fulltext.ts';
import { PgsqlTsvectorEngine } from '../../src/search/pgsql-tsvector.ts';
import { SqliteFtsEngine } from '../../src/search/sqlite-fts.ts';
import { describeSearchContract, type SearchFactory } from './search.contract.ts';
import { serverDatabase, serverService } from './database.fixture.ts';
import { elasticService } from './search-elastic.fixture.ts';

const [mysql, pgsql] = await Promise.all([serverService('mysql'), serverService('pgsql')]);

const sqlite: SearchFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'marg-search-'));
  const engine = new SqliteFtsEngine(() => openSqliteFile(join(dir, 'search.sqlite')));
  return {
    engine,
    async close() {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

function onServer(driver: 'mysql' | 'pgsql'): SearchFactory {
  return async () => {
    const database = await serverDatabase(driver);
    const connection = database.open<unknown>();
    const engine = driver === 'mysql' ? new MysqlFulltextEngine(connection) : new PgsqlTsvectorEngine(connection);
    return { engine, close: () => database.close() };
  };
}

describeSearchContract('sqlite (FTS5)', sqlite);
describeSearchContract('mysql (MariaDB FULLTEXT)', onServer('mysql'), { skip: mysql.skipReason });
describeSearchContract('pgsql (tsvector + GIN)', onServer('pgsql'), { skip: pgsql.skipReason });


// No Elasticsearch or OpenSearch server can run on these machines: these run only when a URL is given.
for (const kind of ['elasticsearch', 'opensearch'] as const) {
  const service = await elasticService(kind);
  describeSearchContract(kind, service.factory, { skip: service.skipReason });
}
