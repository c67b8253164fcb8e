/** The resource API: `createResourceApi(config, db)` and its configuration. */
export { createResourceApi } from './app.ts';
export type { ResourceApiOptions } from './app.ts';
export { loadResourceApiConfig } from './config.ts';
export type { ResourceApiConfig } from './config.ts';
export { openApiDocument } from './openapi/document.ts';
