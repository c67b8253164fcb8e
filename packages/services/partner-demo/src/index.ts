/** The partner demo: `createPartnerDemo(config)` (an Express app, not listening) and its configuration. */
export { createPartnerDemo } from './app.ts';
export type { PartnerDemoOptions } from './app.ts';
export { DEMO_PARTNER_CLIENT_SECRET, PartnerDemoConfigError, loadPartnerDemoConfig } from './config.ts';
export type { PartnerDemoConfig } from './config.ts';
export { SessionStore } from './sessions.ts';
export type { Session, SessionTokens } from './sessions.ts';
