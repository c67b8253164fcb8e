import type { LoginThrottle, NetworkThrottle } from '@payapi/auth-server';
import type { SecretBox, UrlPolicy } from '@payapi/events';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { DeveloperPortalConfig } from './config.ts';
import type { CookieNames } from './http/cookies.ts';
import type { ShowOnce } from './http/show-once.ts';

/** What the portal's routes share, built once by `createDeveloperPortal`. */
export interface PortalDeps {
  config: DeveloperPortalConfig;
  db: Knex;
  logger: Logger;
  /** The authorization server's sign-in throttle (`createLoginThrottle`), on the same table. */
  throttle: LoginThrottle;
  /** Sign-ups per client network (`createNetworkThrottle` of the authorization server, on the same table). */
  signUpThrottle: NetworkThrottle;
  showOnce: ShowOnce;
  cookies: CookieNames;
  /** Cookies are Secure and `__Host-` prefixed: the portal's URL is https. */
  secureCookies: boolean;
  /** What `@payapi/events` needs to register endpoints, as the resource API builds it. */
  webhooks: { secrets: SecretBox; urlPolicy: UrlPolicy };
}
