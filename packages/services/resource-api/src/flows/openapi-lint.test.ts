/**
 * Issue 17, "checked by tools that nobody here wrote": Spectral (`@stoplight/spectral-cli`) with
 * `spectral:oas` and the OWASP API Security ruleset (`@stoplight/spectral-owasp-ruleset`) on every
 * OpenAPI document the services serve, as served: 0 errors. The rules turned off, each with its
 * reason, are in the repository's `.spectral.yaml`. Documents of the other deployment shapes (live,
 * https, the FAPI 2.0 profile) are built with the same functions and checked too.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { authServerOpenApiDocument } from '@payapi/auth-server';
import { repoRoot } from '@payapi/platform';
import { openApiDocument } from '../openapi/document.ts';
import { call, startTestApi } from '../testing/index.ts';
import type { TestApi } from '../testing/index.ts';

const SPECTRAL = join(repoRoot, 'node_modules', '.bin', 'spectral');
const RULESET = join(repoRoot, '.spectral.yaml');

let api: TestApi;
let folder: string;

beforeAll(async () => {
  api = await startTestApi();
  folder = await mkdtemp(join(tmpdir(), 'payapi-openapi-lint-'));
});
afterAll(async () => {
  await api.close();
  await rm(folder, { recursive: true, force: true });
});

/** One finding of `spectral lint --format json`. */
interface Finding {
  code: string;
  message: string;
  path: string[];
  severity: number;
  source: string;
}

/** Runs Spectral on `documents` (name → document) with the repository's ruleset; every finding. */
async function lint(documents: Record<string, unknown>): Promise<Finding[]> {
  const files = await Promise.all(Object.entries(documents).map(async ([name, document]) => {
    const file = join(folder, `${name}.json`);
    await writeFile(file, JSON.stringify(document, null, 2));
    return file;
  }));
  const run = promisify(execFile);
  // Spectral exits 1 when it finds errors; its JSON report is on stdout either way.
  const { stdout } = await run(SPECTRAL, ['lint', '--ruleset', RULESET, '--format', 'json', '--quiet', ...files], { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 })
    .catch((error: { stdout?: string; stderr?: string }) => {
      if (!error.stdout) throw new Error(`spectral failed: ${error.stderr ?? String(error)}`);
      return { stdout: error.stdout };
    });
  return JSON.parse(stdout) as Finding[];
}

test('Spectral (spectral:oas + OWASP API Security) finds no error in any served OpenAPI document', async () => {
  const resourceApi = (await call(api, 'GET', '/openapi.json')).body;
  const authServer = await (await fetch(`${api.auth.issuer}/openapi.json`)).json();
  const findings = await lint({
    'resource-api.served': resourceApi,
    'auth-server.served': authServer,
    'resource-api.live': openApiDocument({ publicUrl: 'https://api.bank.example', issuer: 'https://auth.bank.example', environment: 'live' }),
    'auth-server.live-fapi2': authServerOpenApiDocument({
      issuer: 'https://auth.bank.example', resourceApiUrl: 'https://api.bank.example', environment: 'live', securityProfile: 'fapi2',
    }),
  });
  const errors = findings.filter((finding) => finding.severity === 0)
    .map((finding) => `${finding.source.split('/').pop()} ${finding.code} ${finding.path.join('.')}: ${finding.message}`);
  expect(errors).toEqual([]);
  // Spectral ran the rules at all: the ruleset's warnings (e.g. string formats) are reported on these documents.
  expect(findings.some((finding) => finding.code.startsWith('owasp:'))).toBe(true);
});

test('the ruleset still catches what it is for: an http server outside localhost, a string without limit, a /v1 answer without the rate-limit fields', async () => {
  const document = openApiDocument({ publicUrl: 'http://api.bank.example', issuer: 'http://auth.bank.example' }) as {
    components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>>;
  };
  delete document.components.schemas.Account?.properties.name?.maxLength;
  delete document.paths['/v1/accounts']?.get?.responses['200']?.headers?.RateLimit;
  const findings = (await lint({ broken: document })).filter((finding) => finding.severity === 0);
  expect(findings.map((finding) => finding.code)).toEqual(expect.arrayContaining(['payapi:no-server-http-outside-localhost', 'owasp:api4:2023-string-limit']));
  expect(findings.filter((finding) => finding.code === 'payapi:rate-limit-headers').map((finding) => finding.path.join('.')))
    .toEqual(['paths./v1/accounts.get.responses.200.headers']);
});
