import { MemorySessionStore } from '../../src/session/memory.ts';
import { SqliteSessionStore } from '../../src/session/sqlite.ts';
import { describeSessionContract, type SessionContractOptions, type SessionFactory } from './session.contract.ts';
import { openSqlitePair } from './sqlite-files.ts';

const drivers: { name: string; factory: SessionFactory; options?: SessionContractOptions }[] = [
  { name: 'memory', factory: async () => ({ store: new MemorySessionStore(), close: async () => {} }) },
  {
    name: 'sqlite',
    factory: async () => {
      const files = openSqlitePair('sessions');
      return { store: new SqliteSessionStore(files.first), second: new SqliteSessionStore(files.second), close: files.close };
    },
  },
];

for (const driver of drivers) describeSessionContract(driver.name, driver.factory, driver.options);
