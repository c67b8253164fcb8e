import type { GrantRevocationReason } from '@payapi/events';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import { deleteGrantAccounts } from '../consent/grant-accounts.ts';
import { revokeAccessTokensOfGrant } from './access-token-records.ts';
import { withRevocationReason } from './revocation-reason.ts';

/**
 * Revokes a grant and everything issued from it, at once: refresh tokens, authorization codes,
 * opaque access tokens (oidc-provider's models), the records of its JWT access tokens, the grant
 * itself, and its consent record. From the moment this resolves, `auth.access_token_is_active(jti)`
 * answers false for every token of the grant, which the resource API checks on money movement.
 * The grant's client is told by a `grant.revoked` event with `reason`, appended with the grant's
 * deletion (see the adapter's `destroy`).
 */
export async function revokeGrant(provider: Provider, db: Knex, grantId: string, reason: GrantRevocationReason): Promise<void> {
  await withRevocationReason(reason, async () => {
    await Promise.all([provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode]
      .map((model) => model.revokeByGrantId(grantId)));
    const grant = await provider.Grant.find(grantId, { ignoreExpiration: true });
    await grant?.destroy();
  });
  await revokeAccessTokensOfGrant(db, grantId);
  await deleteGrantAccounts(db, grantId);
}
