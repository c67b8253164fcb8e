/**
 * Test support of the authorization server, for this package's tests and for other packages'
 * (`@payapi/auth-server/testing`): a server on an ephemeral port over a test database of its own,
 * seeded users and clients, and the real authorization-code flow driven by openid-client.
 * Never imported by production code.
 */
export { createAuthTestDatabase } from './auth-test-database.ts';
export * from './harness.ts';
