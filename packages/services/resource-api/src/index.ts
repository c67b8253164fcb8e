/** The resource API: `createResourceApi(config, db)`, its configuration and its schema `api` (`migrateResourceApi`). */
export { createResourceApi } from './app.ts';
export type { ResourceApiOptions } from './app.ts';
export { loadResourceApiConfig } from './config.ts';
export type { ResourceApiConfig } from './config.ts';
export { migrateResourceApi, rollbackResourceApi } from './migrations.ts';
export { openApiDocument } from './openapi/document.ts';
