import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import swaggerUiDist from 'swagger-ui-dist';
import { postmanCollection } from './postman.ts';

/** The Swagger UI page: only files served from here, no inline script (CSP `script-src 'self'`). */
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Payment open API: resource API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/swagger-initializer.js"></script>
</body>
</html>
`;

/**
 * Starts Swagger UI with two documents to choose from ("Select a definition"): this API's
 * `/openapi.json` (first) and the authorization server's (token, introspection, revocation,
 * registration, PAR). A served file, so no inline script is needed; the issuer's URL goes in as a
 * JSON string literal.
 */
function initializer(issuer: string): string {
  const urls = JSON.stringify([
    { url: '/openapi.json', name: 'Resource API' },
    { url: `${issuer}/openapi.json`, name: 'Authorization server' },
  ]);
  return `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    urls: ${urls},
    'urls.primaryName': 'Resource API',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
    displayOperationId: true,
    showExtensions: true,
    defaultModelsExpandDepth: 1
  });
  window.ui.initOAuth({ usePkceWithAuthorizationCodeGrant: true });
});
`;
}

/** The only files of swagger-ui-dist the page loads. */
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

/**
 * `GET /openapi.json` (the document), `GET /docs` (Swagger UI from the installed swagger-ui-dist,
 * no CDN, showing this document and the authorization server's at `${issuer}/openapi.json`),
 * `GET /postman.json` (a Postman collection converted from the document, built once, ready to run:
 * see docs/postman-partner.ts).
 */
export function docsRoutes(document: Record<string, unknown>, urls: { issuer: string }): Router {
  const router = Router();
  const assetsDir = swaggerUiDist.getAbsoluteFSPath();
  const missing = ASSETS.filter((asset) => !existsSync(join(assetsDir, asset)));
  if (missing.length > 0) throw new Error(`swagger-ui-dist is incomplete: ${missing.join(', ')} missing in ${assetsDir}`);
  let collection: Promise<unknown> | null = null;
  const initializerScript = initializer(urls.issuer);

  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_PAGE);
  });
  router.get('/docs/swagger-initializer.js', (_req, res) => {
    res.type('text/javascript').send(initializerScript);
  });
  router.get('/docs/assets/:file', (req, res, next) => {
    const file = String(req.params.file);
    if (!ASSETS.includes(file)) {
      next();
      return;
    }
    res.set('Cache-Control', 'public, max-age=3600').sendFile(file, { root: assetsDir });
  });
  router.get('/postman.json', async (_req, res) => {
    collection ??= postmanCollection(document, urls.issuer);
    res.json(await collection);
  });
  return router;
}
