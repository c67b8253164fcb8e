import { Router } from 'express';
import type { SecurityProfile } from '@payapi/platform';
import { PAYMENT_DETAIL_TYPES } from '../auth/access-token.ts';
import { DPOP_ALGORITHMS } from '../auth/challenge.ts';

/** Path of the protected resource metadata under a resource without a path (RFC 9728 §3). */
export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';

/** What {@link protectedResourceMetadata} describes. */
export interface ProtectedResourceSettings {
  /** `RESOURCE_API_URL`: the resource identifier (and `aud` of access tokens). */
  publicUrl: string;
  /** `AUTH_ISSUER`: the one authorization server that issues tokens for this API. */
  issuer: string;
  /** With `fapi2`, only DPoP-bound access tokens are accepted. */
  securityProfile: SecurityProfile;
  /** Every scope the API checks (the OpenAPI document's OAuth flows list them). */
  scopes: readonly string[];
}

/**
 * Where a client finds the metadata of `publicUrl` (RFC 9728 §3.1): the well-known path inserted
 * between the host and any path of the resource identifier, `https://api.example/.well-known/oauth-protected-resource/bank`
 * for `https://api.example/bank`.
 */
export function protectedResourceMetadataUrl(publicUrl: string): string {
  const url = new URL(publicUrl);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}${WELL_KNOWN_PATH}${path}`;
}

/**
 * The protected resource metadata of this API (RFC 9728 §2): the resource, its authorization
 * server, the scopes, how tokens are sent (the Authorization header only, RFC 6750 §2.1; never the
 * query or the body), the DPoP proof algorithms (RFC 9449 §5.1) and whether DPoP is required, the
 * RFC 9396 `authorization_details` types a token may carry, and the documentation.
 *
 * @returns a JSON-serialisable object; `resource` is exactly `publicUrl` (RFC 9728 §3.3)
 */
export function protectedResourceMetadata(settings: ProtectedResourceSettings): Record<string, unknown> {
  return {
    resource: settings.publicUrl,
    authorization_servers: [settings.issuer],
    scopes_supported: [...settings.scopes],
    bearer_methods_supported: ['header'],
    resource_name: 'Payment open API',
    resource_documentation: `${settings.publicUrl}/docs`,
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    dpop_bound_access_tokens_required: settings.securityProfile === 'fapi2',
    authorization_details_types_supported: [...PAYMENT_DETAIL_TYPES],
  };
}

/**
 * `GET /.well-known/oauth-protected-resource` (and, when `RESOURCE_API_URL` has a path, the same
 * with that path appended, RFC 9728 §3.1): the metadata as JSON, readable from any origin (it is
 * public and carries no credentials) and cacheable for five minutes.
 */
export function protectedResourceRoutes(settings: ProtectedResourceSettings): Router {
  const router = Router();
  const body = protectedResourceMetadata(settings);
  const paths = [...new Set([WELL_KNOWN_PATH, new URL(protectedResourceMetadataUrl(settings.publicUrl)).pathname])];
  router.get(paths, (_req, res) => {
    res.set({ 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' }).json(body);
  });
  return router;
}
