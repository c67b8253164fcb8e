import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GENERATED_TYPES_PATH, generateTypes } from '@payapi/sdk/generate';
import { startTestApi } from '@payapi/resource-api/testing';
import type { TestApi } from '@payapi/resource-api/testing';

// The SDK's committed types must be what openapi-typescript makes of the document the resource API
// serves today: a change to the API's document without `pnpm sdk:generate` fails here.

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

describe('the SDK\'s generated types', () => {
  test('are what the served /openapi.json gives (else run pnpm sdk:generate against a running API: docs/sdk.md)', async () => {
    const served = await (await fetch(`${api.url}/openapi.json`)).json() as object;
    const committed = await readFile(GENERATED_TYPES_PATH, 'utf8');
    expect(committed).toBe(await generateTypes(served));
  });

  test('do not depend on where the API runs (the committed file is the same for every deployment)', async () => {
    const served = await (await fetch(`${api.url}/openapi.json`)).json() as { servers: Array<{ url: string }> };
    const elsewhere = JSON.parse(JSON.stringify(served).replaceAll(api.url, 'https://api.bank.example').replaceAll(api.auth.issuer, 'https://auth.bank.example')) as object;
    expect(await generateTypes(elsewhere)).toBe(await generateTypes(served));
  });

  test('would notice a change: a new field in the served document changes the generated text', async () => {
    const served = await (await fetch(`${api.url}/openapi.json`)).json() as { components: { schemas: { Transfer: { properties: Record<string, unknown> } } } };
    served.components.schemas.Transfer.properties.reference = { type: 'string' };
    expect(await generateTypes(served)).not.toBe(await readFile(GENERATED_TYPES_PATH, 'utf8'));
  });
});
