import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { repoRoot } from './repo-root.ts';
import { SERVICE_RUNTIME_ENV } from './service-runtime.ts';

const run = promisify(execFile);
const SCRIPT = join(repoRoot, 'scripts', 'run-service.sh');
const PROBE = 'console.log(JSON.stringify({ heapMb: Math.round(require("v8").getHeapStatistics().heap_size_limit / 2 ** 20), arenas: process.env.MALLOC_ARENA_MAX ?? null }))';

/** Runs the probe through scripts/run-service.sh with `env` (nothing inherited but PATH). */
async function probe(env: Record<string, string>): Promise<{ heapMb: number; arenas: string | null }> {
  const { stdout } = await run('sh', [SCRIPT, '-e', PROBE], { env: { PATH: process.env.PATH ?? '', ...env } });
  return JSON.parse(stdout) as { heapMb: number; arenas: string | null };
}

describe('the memory settings every service starts with (docs/performance.md, "Memory")', () => {
  test('scripts/run-service.sh starts node with SERVICE_RUNTIME_ENV: old generation capped at 128 MB, two malloc arenas', async () => {
    const started = await probe({});
    expect(started.arenas).toBe(SERVICE_RUNTIME_ENV.MALLOC_ARENA_MAX);
    // heap_size_limit is the old generation's cap plus the young generation (3 x 16 MB semi-spaces).
    expect(started.heapMb).toBeGreaterThanOrEqual(128);
    expect(started.heapMb).toBeLessThanOrEqual(128 + 3 * 16);
  });

  test('values set in the environment win: NODE_OPTIONS="" is V8\'s own (much larger) heap', async () => {
    const defaults = await probe({ NODE_OPTIONS: '', MALLOC_ARENA_MAX: '8' });
    expect(defaults.arenas).toBe('8');
    expect(defaults.heapMb).toBeGreaterThan(1_000);
  });

  test('the script, the container image and every start script use the same settings', () => {
    const script = readFileSync(SCRIPT, 'utf8');
    expect(script).toContain(`: "\${NODE_OPTIONS=${SERVICE_RUNTIME_ENV.NODE_OPTIONS}}"`);
    expect(script).toContain(`: "\${MALLOC_ARENA_MAX=${SERVICE_RUNTIME_ENV.MALLOC_ARENA_MAX}}"`);
    const dockerfile = readFileSync(join(repoRoot, 'deploy', 'containers', 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ENV NODE_OPTIONS="${SERVICE_RUNTIME_ENV.NODE_OPTIONS}" MALLOC_ARENA_MAX=${SERVICE_RUNTIME_ENV.MALLOC_ARENA_MAX}`);
    for (const dir of ['packages/services/auth-server', 'packages/services/resource-api', 'packages/services/developer-portal', 'packages/core/events']) {
      const scripts = (JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
      expect(scripts.start).toBe('sh ../../../scripts/run-service.sh src/main.ts');
    }
    const root = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(root['webhook-worker']).toBe('sh scripts/run-service.sh packages/core/events/src/main.ts');
    expect(root.start).toContain('exec sh scripts/run-service.sh packages/tools/demo/src/main.ts');
    expect(readFileSync(join(repoRoot, 'deploy', 'cluster', 'lib', 'services.sh'), 'utf8')).toContain('scripts/run-service.sh');
  });
});
