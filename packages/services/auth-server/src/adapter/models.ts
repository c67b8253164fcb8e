/**
 * Every model oidc-provider 9.13.3 persists through its adapter (`new Adapter(name)` with the
 * model's class name; see lib/models/base_model.js and lib/models/client.js).
 */
export const OIDC_MODEL_NAMES = [
  'Session',
  'Grant',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'Client',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'DeviceCode',
  'Interaction',
  'ReplayDetection',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
  'PushedAuthorizationRequest',
] as const;

/** One of {@link OIDC_MODEL_NAMES}. */
export type OidcModelName = (typeof OIDC_MODEL_NAMES)[number];

/**
 * The models whose rows `revokeByGrantId` removes: those oidc-provider's `revoke()` helper
 * (lib/helpers/revoke.js) revokes by grant, the same set its memory adapter indexes by grant. The
 * migration's generated column `grant_id` is set for exactly these.
 */
export const GRANTABLE_MODELS: ReadonlySet<OidcModelName> = new Set<OidcModelName>([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const MODEL_NAMES: ReadonlySet<string> = new Set(OIDC_MODEL_NAMES);

/** Whether `name` is one of {@link OIDC_MODEL_NAMES}. */
export function isOidcModelName(name: unknown): name is OidcModelName {
  return typeof name === 'string' && MODEL_NAMES.has(name);
}

/** Longest id, uid or user code the store holds (the table's CHECK on `id` says the same). */
export const KEY_LENGTH_MAX = 512;

/**
 * Whether `value` can be a key in the store: a string of 1 to {@link KEY_LENGTH_MAX} UTF-16 units,
 * without U+0000 (PostgreSQL text cannot hold it) and without unpaired surrogates (the driver would
 * send them as U+FFFD, so two different strings would look up the same row).
 */
export function isStorableKey(value: unknown): value is string {
  return typeof value === 'string'
    && value.length >= 1
    && value.length <= KEY_LENGTH_MAX
    && !value.includes('\u0000')
    && value.isWellFormed();
}
