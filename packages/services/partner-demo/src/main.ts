/**
 * The partner demo on its own (`pnpm --filter @payapi/partner-demo start`): reads the environment
 * (see config.ts) and listens on PORT. The bank (AUTH_ISSUER, RESOURCE_API_URL) may start later:
 * discovery runs on the first "Connect your bank", and the webhook endpoint's registration is
 * retried for about two minutes (webhook-registration.ts).
 */
import { createServer } from 'node:http';
import { createPartnerDemo } from './app.ts';
import { PartnerDemoConfigError, loadPartnerDemoConfig } from './config.ts';
import { createLogger } from './logger.ts';

try {
  const config = loadPartnerDemoConfig(process.env);
  const logger = createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  // A public key (nothing secret): what the bank must hold for private_key_jwt under SECURITY_PROFILE=fapi2.
  if (config.clientKey) logger.info({ jwks: { keys: [config.clientKey.publicJwk] } }, 'client key: register this public JWKS with the bank (pnpm cli clients:create --jwks-file)');
  const http = createServer(createPartnerDemo(config, { logger }));
  http.once('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `port ${config.port} (partner demo) is already in use` : error.message);
    process.exit(1);
  });
  http.listen(config.port, () => logger.info({ url: config.publicUrl, port: config.port }, 'listening'));
  const stop = (): void => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  // Before the logger exists (LOG_LEVEL itself may be what is wrong): one plain line on stderr.
  console.error(error instanceof PartnerDemoConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
}
