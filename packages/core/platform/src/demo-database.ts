import { join } from 'node:path';
import { repoRoot } from './repo-root.ts';

/**
 * Where demo mode keeps its embedded PostgreSQL: data under `.data/postgres` (ignored by git,
 * reused on the next start), port 54329 on 127.0.0.1, database `payapi`. The operator CLI talks to
 * the same server when `DATABASE_URL` is unset outside production, so `pnpm cli …` works against a
 * running `pnpm start`.
 */
export const DEMO_POSTGRES = Object.freeze({
  dataDir: join(repoRoot, '.data', 'postgres'),
  port: 54329,
  database: 'payapi',
  url: 'postgres://postgres:embedded-demo-only@127.0.0.1:54329/payapi',
});
