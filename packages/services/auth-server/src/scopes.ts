/**
 * Scopes of the resource API (docs/resource-api.md), granted per resource indicator (RFC 8707):
 * what a client may be registered with.
 */
export const RESOURCE_SCOPES = ['accounts:read', 'transactions:read', 'transfers:write', 'payments:write', 'webhooks:manage'] as const;

/**
 * Scopes about the client itself, not about a user (docs/webhooks.md): the only scopes the client
 * credentials grant (RFC 6749 §4.4) gives, and never in a user's grant, so no consent page offers
 * them and no code-flow token carries them. (A user's accounts are not "under the control of the
 * client", RFC 6749 §4.4: the account, history, transfer and payment scopes need the user's consent.)
 */
export const CLIENT_CREDENTIALS_SCOPES = ['webhooks:manage'] as const;

/** {@link CLIENT_CREDENTIALS_SCOPES} as a set. */
export const CLIENT_CREDENTIALS_ONLY_SCOPES: ReadonlySet<string> = new Set(CLIENT_CREDENTIALS_SCOPES);

/** The resource scopes a user may grant to a client in the code flow. */
export const USER_GRANTABLE_SCOPES = RESOURCE_SCOPES.filter((scope) => !CLIENT_CREDENTIALS_ONLY_SCOPES.has(scope));

/** OpenID Connect scopes. */
export const OIDC_SCOPES = ['openid', 'offline_access'] as const;

/** Plain words for the consent page and the connected-apps page. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are (your user id)',
  offline_access: 'Stay connected when you are not using the app',
  'accounts:read': 'See the chosen accounts, their details and balances',
  'transactions:read': 'See the transaction history of the chosen accounts',
  'transfers:write': 'Send money from the chosen accounts, and see those transfers',
  'payments:write': 'Make the payments you authorise',
};

/** Scopes that need at least one chosen account to mean anything. */
export const ACCOUNT_SCOPES: ReadonlySet<string> = new Set(['accounts:read', 'transactions:read', 'transfers:write']);
