import type { AppModule } from '../src/platform/app-module.ts';
import { accounts } from './accounts/index.ts';
import { flow } from './flow/index.ts';
import { links } from './links/index.ts';
import { createOps } from './ops/index.ts';

/** Every app the platform serves, in navigation order. */
export const APPS: readonly AppModule[] = [accounts, flow, links, createOps(() => APPS)];
