/**
 * Jest for the local cluster's fault tests only (`pnpm test:cluster`, docs/cluster.md): they need a
 * running `pnpm cluster up`, so `pnpm test` leaves them out (jest.config.js ignores their folder).
 * Run in band: each test hurts the one shared cluster. The transform is jest.config.js's.
 * @type {import('jest').Config}
 */
import base from './jest.config.js';

export default {
  testEnvironment: base.testEnvironment,
  extensionsToTreatAsEsm: base.extensionsToTreatAsEsm,
  transform: base.transform,
  moduleNameMapper: base.moduleNameMapper,
  testMatch: ['<rootDir>/packages/testing/cluster/src/**/*.test.ts'],
  globalSetup: '<rootDir>/packages/testing/cluster/src/global-setup.js',
  reporters: base.reporters,
  maxWorkers: 1,
  testTimeout: 15 * 60_000,
};
