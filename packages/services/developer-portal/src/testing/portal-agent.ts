/**
 * A scripted browser for the portal's flow tests: a cookie jar, GET and form POST without following
 * redirects, and the page's forms read back (action and CSRF token), so each test can also tamper
 * with what it sends. Test support only.
 */

/** One answer, its body read. */
export interface AgentPage {
  status: number;
  location: string | null;
  html: string;
  headers: Headers;
}

/** The CSRF field of the form whose action is `action` (the first form when omitted). */
export function csrfOf(html: string, action?: string): string {
  const forms = [...html.matchAll(/<form method="post" action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = action === undefined ? forms.find((match) => match[1] !== '/signout') ?? forms[0] : forms.find((match) => decode(match[1] ?? '') === action);
  const token = /name="csrf" value="([^"]*)"/.exec(form?.[2] ?? '')?.[1];
  if (token === undefined) throw new Error(`no CSRF token in a form posting to ${action ?? '(first form)'}`);
  return decode(token);
}

/** The page's text without tags, whitespace collapsed (roughly what a reader sees). */
export function textOf(html: string): string {
  return decode(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function decode(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** A browser with its own cookies. */
export class PortalAgent {
  readonly cookies = new Map<string, string>();
  private readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async get(path: string): Promise<AgentPage> {
    return this.send(path, { method: 'GET' });
  }

  /** POSTs a form; values that are arrays repeat the field. */
  async post(path: string, form: Record<string, string | string[]>): Promise<AgentPage> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
    return this.send(path, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /** GETs `path`, then POSTs `form` to `action` (default `path`) with the CSRF token of that form on the page. */
  async submit(path: string, form: Record<string, string | string[]>, action = path): Promise<AgentPage> {
    const page = await this.get(path);
    return this.post(action, { ...form, csrf: csrfOf(page.html, action) });
  }

  /** Follows a 303 of an answer with a GET; the answer itself when it is no redirect. */
  async follow(page: AgentPage): Promise<AgentPage> {
    return page.location === null ? page : this.get(page.location);
  }

  private async send(path: string, init: RequestInit): Promise<AgentPage> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(new URL(path, this.baseUrl), {
      ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string> | undefined), ...(cookie ? { cookie } : {}) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === '' || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, location: response.headers.get('location'), html: await response.text(), headers: response.headers };
  }
}
