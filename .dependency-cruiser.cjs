/** Import direction of docs/architecture.md, checked by `npm run lint` (part of `npm test`). */
const IO_LIBS =
  '^(pg|ioredis|bullmq|fastify|@fastify|jsforce|@hubspot|@electric-sql|pino|' +
  'node:(fs|net|http|https|child_process|dgram|dns|tls|worker_threads)|fs|net|http|https|child_process)($|/)';
module.exports = {
  forbidden: [
    { name: 'not-to-unresolvable', severity: 'error', from: {}, to: { couldNotResolve: true } },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'domain-is-pure',
      comment: 'src/domain imports nothing of ours outside itself and no I/O library',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^node_modules/(zod)/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-no-io',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: IO_LIBS },
    },
    {
      name: 'connectors-not-jobs-store',
      severity: 'error',
      from: { path: '^connectors/' },
      to: { path: ['^jobs/', '^src/(store|queue|server|sandbox)/', '^src/(config|cli)\\.ts$'] },
    },
    {
      name: 'store-only-domain',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: ['^jobs/', '^connectors/', '^src/(queue|server|sandbox)/', '^src/cli\\.ts$'] },
    },
    {
      name: 'queue-only-domain',
      severity: 'error',
      from: { path: '^src/queue/' },
      to: { path: ['^jobs/', '^connectors/', '^src/(store|server|sandbox)/', '^src/cli\\.ts$'] },
    },
    {
      name: 'sandbox-shares-nothing-with-connectors',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: ['^connectors/', '^jobs/', '^src/(store|queue|server)/'] },
    },
    {
      name: 'nothing-imports-test',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
  },
};
