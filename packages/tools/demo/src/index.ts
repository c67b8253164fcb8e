/** Demo mode's building blocks, for `pnpm start` (main.ts) and the end-to-end tests. */
export { startSystem } from './system.ts';
export type { RunningSystem, SystemOptions } from './system.ts';
export { DEMO_USERS, PARTNER_DEMO_CLIENT_ID, seedDemo } from './seed.ts';
export type { DemoAccount, DemoUser, SeedOptions, SeedReport } from './seed.ts';
