/**
 * The import graph of the house (docs/architecture.md "The house"), checked by `npm test`
 * (the root `graph` task): no circles, and imports run only downwards.
 */
const ours = '^(apps|packages|bench)/'
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import circles',
      from: {},
      to: { circular: true },
    },
    {
      name: 'packages-not-to-apps',
      severity: 'error',
      comment: 'packages stand under the apps: a package never imports an app',
      from: { path: '^packages/' },
      to: { path: '^(apps|bench)/' },
    },
    {
      name: 'protocol-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^packages/protocol/' },
      to: { path: ours, pathNot: '^packages/protocol/' },
    },
    {
      name: 'node-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^packages/node/' },
      to: { path: ours, pathNot: '^packages/node/' },
    },
    {
      name: 'store-only-protocol-and-node',
      severity: 'error',
      from: { path: '^packages/store/' },
      to: { path: ours, pathNot: '^packages/(store|protocol|node)/' },
    },
    {
      name: 'domain-only-lower-packages',
      comment: 'the domain context stands above the store and under the apps',
      severity: 'error',
      from: { path: '^packages/domain/' },
      to: { path: ours, pathNot: '^packages/(domain|store|protocol|node)/' },
    },
    {
      name: 'servers-not-to-other-apps',
      severity: 'error',
      comment: 'the servers (gateway, api) import packages only',
      from: { path: '^apps/(gateway|api)/src/' },
      to: { path: '^apps/', pathNot: ['^apps/$1/'] },
    },
    {
      name: 'web-not-to-other-apps',
      severity: 'error',
      comment: 'the webmail imports packages, and the api only for its router types (next rule)',
      from: { path: '^apps/web/src/' },
      to: { path: '^apps/', pathNot: ['^apps/(web|api)/'] },
    },
    {
      name: 'web-only-api-types',
      severity: 'error',
      comment: 'the webmail imports the api type-only (AppRouter, RouterOutputs)',
      from: { path: '^apps/web/src/' },
      to: { path: '^apps/api/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'tests-start-servers-through-devnet',
      severity: 'error',
      comment: "a server's tests reach another app only through the devnet launcher, never its src",
      from: { path: '^apps/(gateway|api|web)/(test|e2e)/' },
      to: { path: '^apps/', pathNot: ['^apps/$1/', '^apps/devnet/'] },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    // Workspaces resolve through their node_modules/@federizer/* links to the real files (exports → src).
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'default'],
      extensions: ['.ts', '.tsx', '.js', '.mjs'],
    },
  },
}
