import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scriptFreePageHelmetOptions } from '@payapi/platform';
import { Eta } from 'eta';
import { Router } from 'express';
import helmet from 'helmet';
import { PROBLEM_CATALOGUE, PROBLEM_CODES, isProblemCode } from '../errors/problem-codes.ts';

/** Templates with auto-escaping on; the pages show only the catalogue's own text. */
const eta = new Eta({ views: join(import.meta.dirname, 'templates'), autoEscape: true, cache: true });
const STYLESHEET = readFileSync(join(import.meta.dirname, 'style.css'), 'utf8');

/** A sentence of the catalogue cut into plain text and `code` spans (the text between backticks). */
function parts(text: string): Array<{ text: string; code: boolean }> {
  return text.split('`').map((part, index) => ({ text: part, code: index % 2 === 1 })).filter((part) => part.text !== '');
}

/**
 * The pages that problem `type` URLs point at (RFC 9457 §3.1.1: a `type` URI should resolve to
 * documentation of the problem type): `GET /problems` lists every code, `GET /problems/{code}`
 * explains one (what it means, what to do), an unknown code is a 404 page. Server-rendered HTML
 * without script, under the script-free page policy of the bank's other pages (CSP `default-src
 * 'none'`, `frame-ancestors 'none'`, docs/security.md "Pages"); rendered once at start, cacheable
 * for an hour.
 *
 * @param https whether `RESOURCE_API_URL` is https (HSTS only then)
 */
export function problemPages(https: boolean): Router {
  const router = Router();
  const pages = new Map(PROBLEM_CODES.map((code) => {
    const entry = PROBLEM_CATALOGUE[code];
    return [code, eta.render('./problem', { code, entry, meaning: parts(entry.meaning), action: parts(entry.action) })];
  }));
  const index = eta.render('./index', {
    rows: PROBLEM_CODES.map((code) => ({ code, statuses: PROBLEM_CATALOGUE[code].statuses.join(', '), title: PROBLEM_CATALOGUE[code].title })),
  });
  const unknown = eta.render('./unknown', {});

  router.use('/problems', helmet(scriptFreePageHelmetOptions(https)));
  router.get('/problems/assets/style.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(STYLESHEET);
  });
  router.get('/problems', (_req, res) => {
    res.type('html').set('Cache-Control', 'public, max-age=3600').send(index);
  });
  router.get('/problems/:code', (req, res) => {
    const code = String(req.params.code);
    const page = isProblemCode(code) ? pages.get(code) : undefined;
    if (page === undefined) {
      res.status(404).type('html').set('Cache-Control', 'no-store').send(unknown);
      return;
    }
    res.type('html').set('Cache-Control', 'public, max-age=3600').send(page);
  });
  return router;
}
