/**
 * What the real-browser tests share: Debian chromium (never a downloaded browser) launched through
 * playwright-core with the usual flags, the folder screenshots land in, and the system started the
 * way `pnpm start` starts it (`startSystem`) on free ports of 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startSystem } from '@payapi/demo';
import type { RunningSystem, SystemOptions } from '@payapi/demo';
import { repoRoot } from '@payapi/platform';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { freePort } from './free-port.ts';

/** Debian's chromium (apt-get install chromium). */
export const CHROMIUM = '/usr/bin/chromium';
/** Flags for chromium in a container: no sandbox, no GPU, no background traffic or first-run pages. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Where screenshots land (git-ignored). */
export const SCREENSHOTS = join(repoRoot, 'test-artifacts', 'e2e');
/** Whether {@link CHROMIUM} is installed. */
export const hasChromium = existsSync(CHROMIUM);
/** CI=true: a missing chromium fails the browser tests instead of skipping them. */
export const ci = process.env.CI === 'true';

/** Launches {@link CHROMIUM} with {@link CHROMIUM_ARGS}. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The cookie keys the browser tests give the authorization server (`AUTH_COOKIE_KEYS`). */
export const E2E_AUTH_COOKIE_KEYS = 'e2e-cookie-key-0123456789abcdefghijklmnopq';

/**
 * Starts the system on four free ports of 127.0.0.1 (AUTH_ISSUER, RESOURCE_API_URL,
 * PARTNER_DEMO_URL, DEVELOPER_PORTAL_URL), with `AUTH_COOKIE_KEYS` set to
 * {@link E2E_AUTH_COOKIE_KEYS} and `LOG_LEVEL=silent`; `env` adds to or overrides these.
 *
 * @throws whatever `startSystem` throws (a port taken meanwhile, a configuration error)
 */
export async function startSystemOnFreePorts(options: Omit<SystemOptions, 'env'> & { env?: SystemOptions['env'] }): Promise<RunningSystem> {
  const [auth, api, partner, portal] = [await freePort(), await freePort(), await freePort(), await freePort()];
  return startSystem({
    ...options,
    env: {
      AUTH_ISSUER: `http://127.0.0.1:${auth}`,
      RESOURCE_API_URL: `http://127.0.0.1:${api}`,
      PARTNER_DEMO_URL: `http://127.0.0.1:${partner}`,
      DEVELOPER_PORTAL_URL: `http://127.0.0.1:${portal}`,
      AUTH_COOKIE_KEYS: E2E_AUTH_COOKIE_KEYS,
      LOG_LEVEL: 'silent',
      ...options.env,
    },
  });
}

/**
 * Runs one step of a browser test; when it throws, saves a full-page screenshot of `page` as
 * `<SCREENSHOTS>/<failedName>.png` and throws again.
 */
export async function screenshotOnFailure(page: Page, failedName: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    await page.screenshot({ path: join(SCREENSHOTS, `${failedName}.png`), fullPage: true }).catch(() => undefined);
    throw error;
  }
}
