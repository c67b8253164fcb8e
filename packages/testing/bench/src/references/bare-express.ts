/**
 * Reference server of the balance scenario, run as its own process (`node bare-express.ts`): a
 * bare Express 5 app (same Express as the resource API, `NODE_ENV=production`) whose one route
 * answers `GET /v1/accounts/:account_id/balance` with a constant balance of the same shape, no
 * token, no database. Prints `{"url":…}` on stdout once it listens on a free port of localhost;
 * stops on SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.get('/v1/accounts/:account_id/balance', (req, res) => {
  res.json({ account_id: req.params.account_id, amount: '1000000.00', currency: 'CNY', as_of: new Date().toISOString() });
});

const server = createServer(app);
server.listen(0, () => {
  process.stdout.write(`${JSON.stringify({ url: `http://localhost:${(server.address() as AddressInfo).port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
