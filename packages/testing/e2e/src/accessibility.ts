/**
 * axe-core in the page under test (WCAG 2.0 and 2.1, levels A and AA). The engine is evaluated
 * through the DevTools protocol, which a page's Content-Security-Policy does not govern, so the
 * portal's strict CSP stays on while it is checked.
 */
import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** The WCAG 2.1 AA rule set (axe tags). */
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** One rule a page breaks: axe's rule id, its impact and the elements at fault (CSS selectors). */
export interface Violation {
  id: string;
  impact: string | null;
  nodes: string[];
}

/**
 * Runs axe on the page as it is now.
 *
 * @returns the WCAG 2.1 A/AA violations; an empty list when there are none
 */
export async function accessibilityViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(axe.source);
  const run = `axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_21_AA)} } })
    .then((result) => result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, nodes: v.nodes.map((n) => n.target.join(' ')) })))`;
  return (await page.evaluate(run)) as Violation[];
}
