/**
 * The resource API: `createResourceApi(config, db)`, its configuration, its schema `api`
 * (`migrateResourceApi`) and the request log's reader for the developer portal (`listRecentRequests`).
 */
export { createResourceApi } from './app.ts';
export type { ResourceApiOptions } from './app.ts';
export { createRevocationWatch } from './auth/revocations.ts';
export type { RevocationCheck, RevocationWatch, RevocationWatchOptions } from './auth/revocations.ts';
export { loadResourceApiConfig } from './config.ts';
export type { ResourceApiConfig } from './config.ts';
export { migrateResourceApi, rollbackResourceApi } from './migrations.ts';
export { createMetrics } from './observability/metrics.ts';
export type { Metrics } from './observability/metrics.ts';
export { startMetricsServer } from './observability/metrics-server.ts';
export { openApiDocument } from './openapi/document.ts';
export { problemTypeBase } from './errors/problem.ts';
export { PROBLEM_CODES } from './errors/problem-codes.ts';
export type { ProblemCode } from './errors/problem-codes.ts';
export { createRequestLog } from './request-log/request-log.ts';
export type { RequestLog } from './request-log/request-log.ts';
export type { RequestLogSettings } from './request-log/settings.ts';
export { RECENT_REQUESTS_LIMIT_MAX, listRecentRequests } from './request-log/store.ts';
export type { RecentRequest } from './request-log/store.ts';
