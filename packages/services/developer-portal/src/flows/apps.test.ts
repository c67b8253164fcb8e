import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { getPartnerApp } from '@payapi/auth-server';
import { createApp, postFrom, valueAfter } from '../testing/app-steps.ts';
import { errorSummaryOf, fieldErrorOf, startTagOf } from '../testing/form-errors.ts';
import { csrfOf, textOf } from '../testing/portal-agent.ts';
import { startTestPortal } from '../testing/portal-harness.ts';
import type { TestPortal } from '../testing/portal-harness.ts';

let portal: TestPortal;

beforeAll(async () => {
  portal = await startTestPortal();
});
afterAll(async () => {
  await portal.close();
});

describe('creating an app', () => {
  test('/apps has Create app; its form has App name, Redirect URIs and Create', async () => {
    const { agent } = await portal.signUp();
    const apps = await agent.get('/apps');
    expect(apps.html).toMatch(/<form method="post" action="\/apps\/new"><input type="hidden" name="csrf" value="[^"]+"><button type="submit">Create app<\/button><\/form>/);
    const form = await agent.get('/apps/new');
    expect(form.html).toContain('<label for="name">App name</label>');
    expect(form.html).toContain('<label for="redirect_uris">Redirect URIs</label>');
    expect(form.html).toContain('<button type="submit">Create</button>');
  });

  test('shows the client id and, once, an sk_sandbox_ secret, each right after its label; a reload shows no secret', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent, 'Budget Buddy', 'http://127.0.0.1:59999/cb\n\nhttps://budget.example/cb\n');
    expect(app.clientSecret).toMatch(/^sk_sandbox_/);
    expect(textOf(app.page.html)).toMatch(new RegExp(`Client ID ${app.clientId} Client secret ${app.clientSecret}`));
    const again = await agent.get(app.path);
    expect(again.status).toBe(200);
    expect(valueAfter(again.html, 'Client ID')).toBe(app.clientId);
    expect(again.html).not.toContain(app.clientSecret);
    expect(again.html).not.toContain('Client secret</dt>');
    const stored = await getPartnerApp(portal.db, app.clientId);
    expect(stored?.redirectUris).toEqual(['http://127.0.0.1:59999/cb', 'https://budget.example/cb']);
    expect(stored?.status).toBe('approved');
    const list = await agent.get('/apps');
    expect(textOf(list.html)).toContain(`Budget Buddy ${app.clientId} Approved`);
  });

  test('portal trial: Create app is a button that leads to /apps/new, a URL without a bare "?"', async () => {
    const { agent } = await portal.signUp();
    const pressed = await postFrom(agent, '/apps', '/apps/new');
    expect(pressed.status).toBe(303);
    expect(pressed.location).toBe('/apps/new');
    expect((await agent.post('/apps/new', {})).status).toBe(403);
  });

  test.each([
    ['no name', { name: '  ', redirect_uris: 'https://a.example/cb' }, [{ href: '#name', text: 'Enter a name for the app.' }]],
    ['no redirect URI', { name: 'App', redirect_uris: ' \n ' }, [{ href: '#redirect_uris', text: 'Enter at least one redirect URI.' }]],
    ['11 redirect URIs', { name: 'App', redirect_uris: Array.from({ length: 11 }, (_, i) => `https://a.example/${i}`).join('\n') }, [
      { href: '#redirect_uris', text: 'Enter at most 10 redirect URIs: there are 11.' },
    ]],
    ['plain http outside localhost', { name: 'App', redirect_uris: 'http://a.example/cb' }, [
      { href: '#redirect_uris', text: 'Line 1: redirect URI must be https (http only on localhost): http://a.example/cb.' },
    ]],
    ['a relative redirect URI', { name: 'App', redirect_uris: '/cb' }, [{ href: '#redirect_uris', text: 'Line 1: redirect URI is not an absolute URL: /cb.' }]],
    ['a redirect URI with a fragment', { name: 'App', redirect_uris: 'https://a.example/cb#x' }, [
      { href: '#redirect_uris', text: 'Line 1: redirect URI must not carry a fragment or credentials: https://a.example/cb#x.' },
    ]],
    ['a name with a control character', { name: 'Tab\tName', redirect_uris: 'https://a.example/cb' }, [
      { href: '#name', text: 'Not accepted: the name must be 1 to 100 printable characters.' },
    ]],
    ['no name and several bad redirect URIs, each named by its line', {
      name: '', redirect_uris: 'https://ok.example/cb\nhttp://a.example/cb\n\n/relative\nhttps://b.example/cb#frag\nHTTPS://C.example/cb',
    }, [
      { href: '#name', text: 'Enter a name for the app.' },
      { href: '#redirect_uris', text: 'Line 2: redirect URI must be https (http only on localhost): http://a.example/cb.' },
      { href: '#redirect_uris', text: 'Line 4: redirect URI is not an absolute URL: /relative.' },
      { href: '#redirect_uris', text: 'Line 5: redirect URI must not carry a fragment or credentials: https://b.example/cb#frag.' },
      { href: '#redirect_uris', text: 'Line 6: redirect URI must be written in its normal form, https://c.example/cb: HTTPS://C.example/cb.' },
    ]],
  ])('portal trial: refuses %s with 422, each problem in the error summary and beside its field, and keeps what was typed', async (_why, form, expected) => {
    const { agent } = await portal.signUp();
    const answer = await agent.submit('/apps/new', form, '/apps');
    expect(answer.status).toBe(422);
    expect(answer.html).toContain('<title>Error: Create an app');
    expect(errorSummaryOf(answer.html)).toEqual(expected);
    const nameWrong = expected.some((item) => item.href === '#name');
    const urisWrong = expected.some((item) => item.href === '#redirect_uris');
    expect(startTagOf(answer.html, 'name')?.includes('aria-invalid="true"')).toBe(nameWrong);
    expect(startTagOf(answer.html, 'redirect_uris')?.includes('aria-invalid="true"')).toBe(urisWrong);
    if (urisWrong) expect(startTagOf(answer.html, 'redirect_uris')).toContain('aria-describedby="redirect_uris-error redirect-hint"');
    const uriMessages = expected.filter((item) => item.href === '#redirect_uris').map((item) => `Error: ${item.text}`);
    expect(fieldErrorOf(answer.html, 'redirect_uris-error')).toBe(urisWrong ? uriMessages.join(' ') : undefined);
    expect(answer.html).toContain(`>${form.redirect_uris.replace(/&/g, '&amp;')}</textarea>`);
    expect((await agent.get('/apps')).html).not.toContain('<table>');
  });

  test('refuses a create form without its CSRF token, or with another session\'s, and creates nothing', async () => {
    const { agent } = await portal.signUp();
    const { agent: other } = await portal.signUp();
    expect((await agent.post('/apps', { name: 'No token', redirect_uris: 'https://a.example/cb' })).status).toBe(403);
    const foreign = csrfOf((await other.get('/apps/new')).html, '/apps');
    expect((await agent.post('/apps', { name: 'Foreign token', redirect_uris: 'https://a.example/cb', csrf: foreign })).status).toBe(403);
    expect((await agent.get('/apps')).html).not.toContain('<table>');
  });

  test('a developer may have at most 20 apps', async () => {
    const { agent, email } = await portal.signUp();
    const { rows } = await portal.db.raw<{ rows: Array<{ id: string }> }>('SELECT id FROM portal.developers WHERE email = ?', [email]);
    for (let i = 0; i < 20; i += 1) {
      await portal.db.raw('INSERT INTO portal.apps (client_id, developer_id) VALUES (?, ?)', [`cl_placeholder_${email}_${i}`, rows[0]?.id as string]);
    }
    const answer = await agent.submit('/apps/new', { name: 'One too many', redirect_uris: 'https://a.example/cb' }, '/apps');
    expect(answer.status).toBe(422);
    expect(errorSummaryOf(answer.html)).toEqual([{ href: null, text: 'You have 20 apps, the most one developer may have: delete one first.' }]);
    expect(fieldErrorOf(answer.html, 'create-app-error')).toBe('Error: You have 20 apps, the most one developer may have: delete one first.');
  });
});

describe('an app\'s page', () => {
  test('Save replaces the redirect URIs; a refused list is shown again with why, and nothing changes', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const saved = await postFrom(agent, app.path, `${app.path}/redirect-uris`, { redirect_uris: 'https://new.example/cb\nhttp://localhost:8080/cb' });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(`${app.path}?done=saved`);
    expect(textOf((await agent.get(saved.location as string)).html)).toContain('Redirect URIs saved.');
    expect((await getPartnerApp(portal.db, app.clientId))?.redirectUris).toEqual(['https://new.example/cb', 'http://localhost:8080/cb']);
    const refused = await postFrom(agent, app.path, `${app.path}/redirect-uris`, { redirect_uris: 'http://evil.example/cb\nhttps://fine.example/cb\nftp://x.example/cb' });
    expect(refused.status).toBe(422);
    expect(refused.html).toContain('http://evil.example/cb\nhttps://fine.example/cb\nftp://x.example/cb</textarea>');
    expect(errorSummaryOf(refused.html)).toEqual([
      { href: '#redirect_uris', text: 'Line 1: redirect URI must be https (http only on localhost): http://evil.example/cb.' },
      { href: '#redirect_uris', text: 'Line 3: redirect URI must be https (http only on localhost): ftp://x.example/cb.' },
    ]);
    expect(refused.html.indexOf('id="error-summary"')).toBeLessThan(refused.html.indexOf('<h1>'));
    expect(startTagOf(refused.html, 'redirect_uris')).toContain('aria-invalid="true"');
    expect(startTagOf(refused.html, 'endpoint_url')).not.toContain('aria-invalid');
    expect((await getPartnerApp(portal.db, app.clientId))?.redirectUris).toEqual(['https://new.example/cb', 'http://localhost:8080/cb']);
    expect((await agent.post(`${app.path}/redirect-uris`, { redirect_uris: 'https://x.example/cb' })).status).toBe(403);
  });

  test('Rotate secret shows a new secret once', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const rotated = await postFrom(agent, app.path, `${app.path}/secret`);
    expect(rotated.status).toBe(303);
    const page = await agent.get(rotated.location as string);
    const secret = valueAfter(page.html, 'Client secret');
    expect(secret).toMatch(/^sk_sandbox_/);
    expect(secret).not.toBe(app.clientSecret);
    expect((await agent.get(app.path)).html).not.toContain(secret);
    expect((await agent.post(`${app.path}/secret`, {})).status).toBe(403);
  });

  test('portal trial: after Rotate secret the page says until when (UTC) the previous secret works, and keeps saying so until Revoke previous secret ends it', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    expect(app.page.html).not.toContain('Previous secret works until');
    expect(app.page.html).not.toContain('Revoke previous secret');
    const page = await agent.get((await postFrom(agent, app.path, `${app.path}/secret`)).location as string);
    const until = (await getPartnerApp(portal.db, app.clientId))?.previousSecretExpiresAt as string;
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    const iso = new Date(until).toISOString();
    const shown = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
    /** The page's text with no space before punctuation (`textOf` puts one where a tag ends). */
    const sentences = (html: string): string => textOf(html).replace(/ ([,.])/g, '$1');
    expect(sentences(page.html)).toContain(`it is shown this once. Secret rotated: the previous secret keeps working until ${shown}, so deploy the new one before then.`);
    expect(page.html).toContain(`<time datetime="${iso.slice(0, 19)}Z">${shown}</time>`);

    const later = await agent.get(app.path);
    expect(textOf(later.html)).not.toContain('Secret rotated');
    expect(sentences(later.html)).toContain(`Previous secret works until ${shown}. Revoke previous secret`);
    expect((await agent.post(`${app.path}/secret/revoke-previous`, {})).status).toBe(403);
    expect((await getPartnerApp(portal.db, app.clientId))?.previousSecretExpiresAt).toBe(until);

    const revoked = await postFrom(agent, app.path, `${app.path}/secret/revoke-previous`);
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe(`${app.path}?done=previous-secret-revoked`);
    expect((await getPartnerApp(portal.db, app.clientId))?.previousSecretExpiresAt).toBeNull();
    const after = await agent.get(revoked.location as string);
    expect(textOf(after.html)).toContain('Previous secret revoked: from now on only the current secret works.');
    expect(after.html).not.toContain('Previous secret works until');
    expect(after.html).not.toContain('Revoke previous secret');
    // A second press (a double click) has nothing left to end.
    expect((await postFrom(agent, app.path, `${app.path}/secret/revoke-previous`)).location).toBe(`${app.path}?done=no-previous-secret`);
  });

  test('portal trial: Delete app asks first: the button leads to a confirmation page, whose Delete app removes it: gone from the list, its page 404, the client deleted', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    expect(app.page.html).toContain(`<form method="post" action="${app.path}/delete">`);
    expect((await agent.post(`${app.path}/delete`, { confirm: 'yes' })).status).toBe(403);
    const pressed = await postFrom(agent, app.path, `${app.path}/delete`);
    expect(pressed.status).toBe(303);
    expect(pressed.location).toBe(`${app.path}/delete`);
    expect(await getPartnerApp(portal.db, app.clientId)).toBeDefined();

    const confirmation = await agent.get(`${app.path}/delete`);
    expect(confirmation.status).toBe(200);
    expect(textOf(confirmation.html)).toContain(`Delete Budget Buddy? Deleting the app Budget Buddy (client ID ${app.clientId} ) cannot be undone`);
    expect(confirmation.html).toContain('<input type="hidden" name="confirm" value="yes">\n  <button type="submit" class="danger">Delete app</button>');
    expect(confirmation.html).toContain(`<a href="${app.path}">Keep the app and go back to it</a>`);
    expect((await agent.post(`${app.path}/delete`, { confirm: 'yes' })).status).toBe(403);
    expect(await getPartnerApp(portal.db, app.clientId)).toBeDefined();

    const deleted = await agent.post(`${app.path}/delete`, { csrf: csrfOf(confirmation.html, `${app.path}/delete`), confirm: 'yes' });
    expect(deleted.status).toBe(303);
    expect(deleted.location).toBe('/apps?done=deleted');
    expect((await agent.get(app.path)).status).toBe(404);
    expect((await agent.get(`${app.path}/delete`)).status).toBe(404);
    expect((await agent.get('/apps')).html).not.toContain(app.clientId);
    expect(await getPartnerApp(portal.db, app.clientId)).toBeUndefined();
  });

  test('the request log lists the app\'s last 100 calls, newest first', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    expect(textOf((await agent.get(app.path)).html)).toContain('No calls to the resource API yet.');
    await portal.db.raw(`
      INSERT INTO api.request_log (client_id, requested_at, method, path, status, duration_ms, request_id)
      SELECT ?, now() - make_interval(secs => n), 'GET', '/v1/accounts/' || n, 200, 1.5, 'req-' || n FROM generate_series(1, 120) AS n`, [app.clientId]);
    const page = await agent.get(app.path);
    const rows = [...page.html.matchAll(/<td><code>(\/v1\/accounts\/\d+)<\/code><\/td>/g)].map((match) => match[1]);
    expect(rows).toHaveLength(100);
    expect(rows[0]).toBe('/v1/accounts/1');
    expect(rows[99]).toBe('/v1/accounts/100');
    expect(textOf(page.html)).toContain('GET /v1/accounts/1 200 1.5 ms req-1');
  });

  test('portal review: ?done= shows only the page\'s own notices, never a member of Object (constructor, __proto__, toString)', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    for (const done of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const page = await agent.get(`${app.path}?done=${done}`);
      expect(page.status).toBe(200);
      expect(page.html).not.toMatch(/native code|\[object Object\]/);
    }
    expect(textOf((await agent.get(`${app.path}?done=saved`)).html)).toContain('Redirect URIs saved.');
  });

  test('portal review: a copy of the show-once cookie, replayed in the same session within its 2 minutes, shows the secret no more', async () => {
    const { agent } = await portal.signUp();
    const answer = await agent.submit('/apps/new', { name: 'Replay', redirect_uris: 'http://127.0.0.1:59999/cb' }, '/apps');
    const copied = agent.cookies.get('portal_once') as string;
    expect(copied).toBeDefined();
    const first = await agent.get(answer.location as string);
    expect(valueAfter(first.html, 'Client secret')).toMatch(/^sk_sandbox_/);
    agent.cookies.set('portal_once', copied);
    const replayed = await agent.get(answer.location as string);
    expect(replayed.status).toBe(200);
    expect(replayed.html).not.toContain('sk_sandbox_');
    expect(agent.cookies.has('portal_once')).toBe(false);
  });

  test('an unknown client id is 404 on every route', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const { html } = await agent.get(app.path);
    const csrf = csrfOf(html);
    expect((await agent.get('/apps/cl_nope')).status).toBe(404);
    for (const action of ['redirect-uris', 'secret', 'secret/revoke-previous', 'delete', 'webhooks']) {
      expect((await agent.post(`/apps/cl_nope/${action}`, {
        csrf, redirect_uris: 'https://a.example/cb', url: 'https://a.example/h', event_types: 'webhook.test', confirm: 'yes',
      })).status).toBe(404);
    }
    expect((await agent.get('/apps/cl_nope/delete')).status).toBe(404);
    expect((await agent.get(`/apps/${'x'.repeat(300)}`)).status).toBe(404);
  });
});

describe('secrets', () => {
  test('no log line holds a client secret', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const rotated = await agent.get((await postFrom(agent, app.path, `${app.path}/secret`)).location as string);
    const lines = portal.logLines.join('\n');
    expect(lines).not.toContain(app.clientSecret);
    expect(lines).not.toContain(valueAfter(rotated.html, 'Client secret'));
  });

  test('the portal stores no client secret: none of its tables holds one', async () => {
    const { agent } = await portal.signUp();
    const app = await createApp(agent);
    const { rows } = await portal.db.raw<{ rows: Array<{ dump: string }> }>(`
      SELECT coalesce(string_agg(t::text, ' '), '') AS dump FROM (
        SELECT d::text AS t FROM portal.developers d UNION ALL SELECT s::text FROM portal.sessions s
        UNION ALL SELECT a::text FROM portal.apps a UNION ALL SELECT u::text FROM portal.test_users u) x`);
    expect(rows[0]?.dump).not.toContain(app.clientSecret);
  });
});
