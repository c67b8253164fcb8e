/**
 * Jest on native ESM (run through `pnpm jest`, which passes --experimental-vm-modules): ts-jest
 * transpiles TypeScript only (`pnpm typecheck` is the type check); ESM-only dependencies such as
 * oidc-provider, jose and openid-client load as they are.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.base.json' }],
  },
  // tsc rewrites `./x.ts` imports to `./x.js` (rewriteRelativeImportExtensions); map them back.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/packages/*/*/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // The local cluster's fault tests need a running cluster: `pnpm test:cluster` (jest.cluster.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/packages/testing/cluster/'],
  globalSetup: '<rootDir>/packages/core/platform/src/testing/global-setup.js',
  globalTeardown: '<rootDir>/packages/core/platform/src/testing/global-teardown.js',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  maxWorkers: 2,
  testTimeout: 60_000,
};
