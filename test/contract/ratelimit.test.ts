import { MemoryRateLimitStore } from '../../src/ratelimit/memory.ts';
import { SqliteRateLimitStore } from '../../src/ratelimit/sqlite.ts';
import type { ContractOptions } from './fixture.ts';
import { describeRateLimitContract, type RateLimitFactory } from './ratelimit.contract.ts';
import { openSqlitePair } from './sqlite-files.ts';

const PREFIX = 'contract';

const drivers: { name: string; factory: RateLimitFactory; options?: ContractOptions }[] = [
  { name: 'memory', factory: async () => ({ store: new MemoryRateLimitStore(PREFIX), close: async () => {} }) },
  {
    name: 'sqlite',
    factory: async () => {
      const files = openSqlitePair('cache');
      return { store: new SqliteRateLimitStore(files.first, PREFIX), second: new SqliteRateLimitStore(files.second, PREFIX), close: files.close };
    },
  },
];

for (const driver of drivers) describeRateLimitContract(driver.name, driver.factory, driver.options);
