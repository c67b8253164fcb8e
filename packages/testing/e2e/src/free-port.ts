/** One implementation for every test: `@payapi/platform/testing` (ports outside the ephemeral range). */
export { freePort } from '@payapi/platform/testing';
