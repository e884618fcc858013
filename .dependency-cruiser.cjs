/**
 * Import rules (issue 10), checked by `npm run lint:deps` inside `npm test`. Type-only imports
 * count: a cycle of types is still a cycle of knowledge. Each rule says what it protects.
 */
const DRIVER_LIBRARIES = '^(ioredis|bullmq|mysql2|pg|better-sqlite3)($|/)';
// A driver module: one file per driver of a port (src/<port>/<driver>.ts) and what only drivers use.
const DRIVER_MODULES = [
  '^src/cache/(memory|redis|sqlite)\\.ts$',
  '^src/session/(memory|redis|sqlite)\\.ts$',
  '^src/lock/(memory|redis|sqlite)\\.ts$',
  '^src/ratelimit/(memory|redis|sqlite|flexible)\\.ts$',
  '^src/queue/(database|redis)[^/]*\\.ts$',
  '^src/mail/(log|smtp)\\.ts$',
  '^src/storage/local\\.ts$',
  '^src/database/(sqlite|server|replica-driver|query-timing|create-database)\\.ts$',
  '^src/search/(sqlite-fts|mysql-fulltext|pgsql-tsvector|elastic[^/]*|opensearch|kysely-runner|sql-engine)\\.ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules form no import cycle, type-only imports included: each layer can be read (and replaced) on its own.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'apps-use-ports-not-drivers',
      severity: 'error',
      comment: 'Apps talk to ports (contract.ts, facades); a driver or a driver library in an app ties it to one deployment.',
      from: { path: '^apps/' },
      to: { path: [DRIVER_LIBRARIES, ...DRIVER_MODULES], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'apps-import-no-driver-types',
      severity: 'error',
      comment: 'Not even types of a driver library: apps stay portable across drivers.',
      from: { path: '^apps/' },
      to: { path: DRIVER_LIBRARIES },
    },
    {
      name: 'kernel-names-no-app',
      severity: 'error',
      comment: 'src/ never imports apps/: the app list reaches the kernel as a value (bin/marg.js hands it to the CLI).',
      from: { path: '^src/' },
      to: { path: '^apps/' },
    },
    {
      name: 'drivers-only-through-their-manager',
      severity: 'error',
      comment: "A driver is chosen from config by its port's manager: only the manager and the drivers (with their helpers) import one.",
      from: { path: '^src/', pathNot: ['/manager\\.ts$', ...DRIVER_MODULES] },
      to: { path: DRIVER_MODULES },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    exclude: { path: '^(node_modules|test|bench|scripts)/' },
  },
};
