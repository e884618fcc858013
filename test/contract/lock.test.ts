import { MemoryLockStore } from '../../src/lock/memory.ts';
import { SqliteLockStore } from '../../src/lock/sqlite.ts';
import type { ContractOptions } from './fixture.ts';
import { describeLockContract, type LockFactory } from './lock.contract.ts';
import { openSqlitePair } from './sqlite-files.ts';

const drivers: { name: string; factory: LockFactory; options?: ContractOptions }[] = [
  { name: 'memory', factory: async () => ({ store: new MemoryLockStore(), close: async () => {} }) },
  {
    name: 'sqlite',
    factory: async () => {
      const files = openSqlitePair('cache');
      return { store: new SqliteLockStore(files.first), second: new SqliteLockStore(files.second), close: files.close };
    },
  },
];

for (const driver of drivers) describeLockContract(driver.name, driver.factory, driver.options);
