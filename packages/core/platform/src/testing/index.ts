export { createTestDatabase } from './test-database.ts';
export type { TestDatabase } from './test-database.ts';
export { TEST_REDIS_URL, createTestRedis } from './test-redis.ts';
export type { TestRedis } from './test-redis.ts';
export { startTcpRelay } from './tcp-relay.ts';
export type { TcpRelay } from './tcp-relay.ts';
export { freePort } from './free-port.ts';
