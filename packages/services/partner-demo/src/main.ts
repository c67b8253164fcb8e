/**
 * The partner demo on its own (`pnpm --filter @payapi/partner-demo start`): reads the environment
 * (see config.ts) and listens on PORT. The bank (AUTH_ISSUER, RESOURCE_API_URL) may start later:
 * discovery runs on the first "Connect your bank".
 */
import { createServer } from 'node:http';
import { createPartnerDemo } from './app.ts';
import { PartnerDemoConfigError, loadPartnerDemoConfig } from './config.ts';

try {
  const config = loadPartnerDemoConfig(process.env);
  for (const warning of config.warnings) console.warn(`partner-demo: ${warning}`);
  const http = createServer(createPartnerDemo(config));
  http.once('error', (error: NodeJS.ErrnoException) => {
    console.error(error.code === 'EADDRINUSE' ? `port ${config.port} (partner demo) is already in use` : error.message);
    process.exit(1);
  });
  http.listen(config.port, () => console.log(`partner-demo: ${config.publicUrl} (listening on ${config.port})`));
  const stop = (): void => {
    http.closeAllConnections();
    http.close(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  console.error(error instanceof PartnerDemoConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
}
