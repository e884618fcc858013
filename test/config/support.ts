import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { APPS } from '../../apps/index.ts';
import { loadConfig as loadKernelConfig, type Config, type LoadConfigOptions } from '../../src/config/config.ts';
import { ConfigError, type RawEnv } from '../../src/config/env-files.ts';
import { appLayout } from '../../src/platform/app-registry.ts';

/** Config as the CLI loads it: with the real apps' databases and their variables. */
export function loadConfig(options: LoadConfigOptions): Config {
  return loadKernelConfig({ layout: appLayout(APPS), ...options });
}

/** Fresh project folders (holding `.env`, `.env.shared`, secrets …) under one temp folder, removed after the file's tests. */
export function projectFolders(prefix: string): (files?: Record<string, string>) => string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(root, { recursive: true, force: true }));
  let dirs = 0;
  return (files = {}) => {
    const cwd = join(root, `project-${++dirs}`);
    mkdirSync(cwd);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
    return cwd;
  };
}

/** The ConfigError loading `env` in `cwd` throws; fails the test when it does not throw one. */
export function configError(env: RawEnv, cwd: string): ConfigError {
  try {
    loadConfig({ cwd, env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected a ConfigError for ${JSON.stringify(env)}`);
}
