// Import rules (issue 17): one direction of imports between the folders, checked by `npm run lint:imports`
// (dependency-cruiser for the module rules, tools/folder-cycles.mjs for cycles between folders, which
// dependency-cruiser's per-module `circular` cannot see). The layers, lowest first: engine; extensions;
// bridge, interop, sharing; sim; ui; cli. tools/import-rules.test.ts plants violations to show each
// rule fires.

/** Test code: the integration suites, the benchmarks and the unit tests beside their modules. */
const TEST_CODE = '^(tests|bench)/|[.]test[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'engine-self-contained',
      severity: 'error',
      comment: 'engine/ is the bottom layer: it imports only engine/, npm packages and node: builtins (DESIGN.md, Layout).',
      from: { path: '^engine/', pathNot: TEST_CODE },
      to: { pathNot: '^(engine/|node_modules/)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'engine-core-isomorphic',
      severity: 'error',
      comment:
        'The engine runs in Node and in a browser tab (issue 21): its core reaches files, assets, cores and threads ' +
        "through engine/platform/host.ts. Node built-ins only in Node's host (engine/platform/default-host.ts); the " +
        'worker scripts too reach their channel through the host, as they run as Web Workers in a page.',
      from: { path: '^engine/', pathNot: [TEST_CODE, '^engine/platform/default-host[.]ts$'] },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-code-self-contained',
      severity: 'error',
      comment:
        'ui/web/ is compiled for the browser on its own (ui/tsconfig.json): it imports only ui/web/, the vendored ' +
        'preact/htm, and sharing/catalog.ts (types only, the package listing it shares with the server).',
      from: { path: '^ui/web/' },
      to: { pathNot: '^(ui/web/|sharing/catalog[.]ts$|node_modules/)' },
    },
    {
      name: 'no-test-code-in-product',
      severity: 'error',
      comment: 'Only tests and benchmarks import tests/, bench/ and *.test.ts files; product code never does.',
      from: { pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      comment: 'No cycle of imports between modules (type-only imports included: they bind the modules as much).',
      from: { pathNot: TEST_CODE },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: '^(node_modules|dist)/' },
    exclude: { path: '^(dist|node_modules)/|[.]as[.]ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    // NodeNext sources import `./x.js`: dependency-cruiser resolves it to ./x.ts as tsc does (no .js
    // files live beside the sources; tools/import-rules.test.ts checks every import resolved).
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    cache: false,
  },
};
