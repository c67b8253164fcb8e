// Jest global setup of the cluster's fault tests (jest.cluster.config.js): fails at once, with what
// to do, when no cluster is up or when its CA is not trusted. Plain JavaScript: Jest loads it
// without transforming it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export default async function checkClusterIsUp() {
  const dir = process.env.PAYAPI_CLUSTER_DIR || '/tmp/payapi-cluster';
  const file = join(dir, 'cluster.json');
  if (!existsSync(file)) throw new Error(`the cluster is not up (${file} does not exist): run \`pnpm cluster up\` first`);
  const cluster = JSON.parse(readFileSync(file, 'utf8'));
  if (process.env.NODE_EXTRA_CA_CERTS !== cluster.caFile) {
    throw new Error(`NODE_EXTRA_CA_CERTS must be ${cluster.caFile} when node starts: run the tests with \`pnpm test:cluster\``);
  }
  try {
    const response = await fetch(`${cluster.apiUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
  } catch (error) {
    throw new Error(`the cluster's resource API (${cluster.apiUrl}) does not answer: ${error.message} (\`pnpm cluster status\`)`);
  }
}
