import Router from '@koa/router';
import type { AuthServerConfig } from '../config.ts';
import { authServerOpenApiDocument } from './document.ts';

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of the token, introspection, revocation,
 * registration and pushed-authorization endpoints (`authServerOpenApiDocument`), built once.
 * Readable from any origin (`Access-Control-Allow-Origin: *`: it is public and carries no
 * credentials), so the resource API's `/docs` on another origin can show it; cacheable for five minutes.
 */
export function openApiRoutes(config: AuthServerConfig): Router {
  const router = new Router();
  const body = JSON.stringify(authServerOpenApiDocument({
    issuer: config.issuer, resourceApiUrl: config.resourceApiUrl, environment: config.environment, securityProfile: config.securityProfile,
  }));
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.body = body;
  });
  return router;
}
