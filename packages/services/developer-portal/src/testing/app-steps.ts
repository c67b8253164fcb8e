/** Steps of the app pages, through the portal's forms, for the flow tests. Test support only. */
import { csrfOf } from './portal-agent.ts';
import type { AgentPage, PortalAgent } from './portal-agent.ts';

/** An app made through `/apps/new`, with what its first page showed. */
export interface CreatedApp {
  clientId: string;
  clientSecret: string;
  /** `/apps/<client id>` */
  path: string;
  page: AgentPage;
}

/** The value shown right after a `<dt>` label, or undefined. */
export function valueAfter(html: string, label: string): string | undefined {
  return new RegExp(`<dt>${label}</dt>\\s*<dd>([^<]*)</dd>`).exec(html)?.[1];
}

/**
 * Creates an app through the form and follows to its page.
 *
 * @throws {Error} when the portal did not redirect to the app's page
 */
export async function createApp(agent: PortalAgent, name = 'Budget Buddy', redirectUris = 'http://127.0.0.1:59999/cb'): Promise<CreatedApp> {
  const answer = await agent.submit('/apps/new', { name, redirect_uris: redirectUris }, '/apps');
  if (answer.status !== 303 || !answer.location?.startsWith('/apps/')) throw new Error(`app not created: ${answer.status} ${answer.html.slice(0, 300)}`);
  const page = await agent.get(answer.location);
  const clientId = valueAfter(page.html, 'Client ID');
  const clientSecret = valueAfter(page.html, 'Client secret');
  if (!clientId || !clientSecret) throw new Error('the app page did not show the credentials');
  return { clientId, clientSecret, path: answer.location, page };
}

/** POSTs a form of a page the agent may open (its CSRF token taken from `fromPath`), to `action`. */
export async function postFrom(agent: PortalAgent, fromPath: string, action: string, form: Record<string, string | string[]> = {}): Promise<AgentPage> {
  const page = await agent.get(fromPath);
  return agent.post(action, { ...form, csrf: csrfOf(page.html) });
}
