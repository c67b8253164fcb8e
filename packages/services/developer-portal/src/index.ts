/**
 * The developer portal: `createDeveloperPortal(config, db)`, its configuration and its schema
 * `portal` (`migratePortal`). See docs/developer-portal.md.
 */
export { createDeveloperPortal } from './app.ts';
export type { DeveloperPortal, DeveloperPortalOptions } from './app.ts';
export { DEMO_SESSION_SECRET, loadDeveloperPortalConfig } from './config.ts';
export type { DeveloperPortalConfig } from './config.ts';
export { migratePortal, rollbackPortal } from './migrations.ts';
export { TEST_USER_ACCOUNTS, TEST_USERS_PER_DEVELOPER_MAX } from './test-users/test-users.ts';
