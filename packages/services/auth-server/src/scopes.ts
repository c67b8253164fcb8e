/** Scopes of the resource API (docs/resource-api.md), granted per resource indicator (RFC 8707). */
export const RESOURCE_SCOPES = ['accounts:read', 'transactions:read', 'transfers:write'] as const;

/** OpenID Connect scopes. */
export const OIDC_SCOPES = ['openid', 'offline_access'] as const;

/** Plain words for the consent page and the connected-apps page. */
export const SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are (your user id)',
  offline_access: 'Stay connected when you are not using the app',
  'accounts:read': 'See the chosen accounts, their details and balances',
  'transactions:read': 'See the transaction history of the chosen accounts',
  'transfers:write': 'Send money from the chosen accounts, and see those transfers',
};

/** Scopes that need at least one chosen account to mean anything. */
export const ACCOUNT_SCOPES: ReadonlySet<string> = new Set(RESOURCE_SCOPES);
