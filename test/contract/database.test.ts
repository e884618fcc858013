import { describeDatabaseContract, type DatabaseContractOptions } from './database.contract.ts';
import { serverDatabase, serverService, sqliteDatabase, type DatabaseFactory } from './database.fixture.ts';

const [mysql, pgsql] = await Promise.all([serverService('mysql'), serverService('pgsql')]);

// Each test gets a database created for it (as `marg migrate` creates one) and dropped after it.
const drivers: { name: string; factory: DatabaseFactory; options?: DatabaseContractOptions }[] = [
  {
    name: 'sqlite',
    factory: sqliteDatabase,
    // Kysely takes no migration lock on SQLite, and in one process a second handle waiting for the
    // file's write lock would block the event loop the holder needs: one migrating process at a time.
    options: { noConcurrentMigrations: 'SQLite: one process migrates the embedded files at a time' },
  },
  { name: 'mysql (MariaDB)', factory: () => serverDatabase('mysql'), options: { skip: mysql.skipReason } },
  { name: 'pgsql', factory: () => serverDatabase('pgsql'), options: { skip: pgsql.skipReason } },
];

for (const driver of drivers) describeDatabaseContract(driver.name, driver.factory, driver.options);
