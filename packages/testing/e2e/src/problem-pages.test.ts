/**
 * The resource API's error code pages (`/problems`, `/problems/{code}`, issue 17: the pages that
 * problem `type` URLs point at) in a real browser: WCAG 2.1 AA by axe-core, under the pages' own
 * Content-Security-Policy (no violation reported by the browser), styles loaded. And `/docs` showing
 * the authorization server's OpenAPI document beside the API's.
 *
 * Without /usr/bin/chromium the test is skipped, except with CI=true, where it fails.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PROBLEM_CODES } from '@payapi/resource-api';
import { startTestApi } from '@payapi/resource-api/testing';
import type { TestApi } from '@payapi/resource-api/testing';
import type { Browser, Page } from 'playwright-core';
import { accessibilityViolations } from './accessibility.ts';
import { ci, hasChromium, launchChromium } from './browser-system.ts';

(hasChromium || ci ? describe : describe.skip)('error code pages in a browser', () => {
  let api: TestApi;
  let browser: Browser;
  let page: Page;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    browser = await launchChromium();
    page = await browser.newPage();
    // A CSP violation (a blocked stylesheet, an inline style) is reported on the console.
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  test('the list and each code\'s page pass axe (WCAG 2.1 AA) with their styles applied', async () => {
    for (const path of ['/problems', '/problems/insufficient_funds', '/problems/invalid_token', '/problems/no_such_code']) {
      const response = await page.goto(`${api.url}${path}`);
      expect([path, response?.status()]).toEqual([path, path.endsWith('no_such_code') ? 404 : 200]);
      expect([path, await accessibilityViolations(page)]).toEqual([path, []]);
      // The stylesheet loaded under the CSP: the page's main area has its white background.
      expect(await page.evaluate('getComputedStyle(document.querySelector("main")).backgroundColor')).toBe('rgb(255, 255, 255)');
    }
    expect(cspViolations).toEqual([]);
  });

  test('/docs shows the authorization server\'s document too, fetched across origins (issue 17)', async () => {
    await page.goto(`${api.url}/docs`);
    await page.getByLabel('Select a definition').selectOption({ label: 'Authorization server' });
    await page.getByRole('heading', { name: /Payment open API: authorization server/ }).waitFor();
    for (const path of ['/token', '/token/introspection', '/token/revocation', '/reg', '/request']) {
      await page.locator(`.opblock-summary-path[data-path="${path}"]`).waitFor();
    }
    expect(cspViolations).toEqual([]);
  });

  test('from the list a reader reaches every code\'s page by its link', async () => {
    await page.goto(`${api.url}/problems`);
    const links = await page.getByRole('link').evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
    for (const code of PROBLEM_CODES) expect(links).toContain(`/problems/${code}`);
    await page.getByRole('link', { name: 'insufficient_funds' }).click();
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('insufficient_funds: Not enough money');
  });
});
