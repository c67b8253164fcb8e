import { redirectUriProblem } from '@payapi/auth-server';

/** The registration policy's limit (docs/authorization-server.md, dynamic registration). */
export const REDIRECT_URIS_MAX = 10;
/** Longest redirect URI, characters. */
const REDIRECT_URI_LENGTH_MAX = 2000;
/** Problems named one by one; past this many, the rest are counted (a pasted file must not make a page of errors). */
const PROBLEMS_LISTED_MAX = 10;

/** The textarea read: the URIs to save, or every problem found (then `uris` is empty). */
export type RedirectUrisReading = { uris: string[]; problems: [] } | { uris: []; problems: string[] };

/**
 * The redirect URIs of the form's textarea, one per line: trimmed, blank lines dropped, repeats
 * dropped. Every line is checked under the authorization server's registration policy
 * (`redirectUriProblem`: absolute, https or http on localhost, no fragment or credentials, written
 * in its normal form) and every bad line is named with its line number, so one submission shows all
 * there is to fix; then the count (1 to 10).
 */
export function readRedirectUris(text: string): RedirectUrisReading {
  const lines = text.split(/\r?\n/).map((line, index) => ({ number: index + 1, uri: line.trim() })).filter((line) => line.uri.length > 0);
  const problems: string[] = [];
  for (const { number, uri } of lines) {
    const problem = uri.length > REDIRECT_URI_LENGTH_MAX
      ? `has more than ${REDIRECT_URI_LENGTH_MAX} characters`
      : redirectUriProblem(uri);
    if (problem !== undefined) problems.push(`Line ${number}: ${problem}.`);
  }
  if (problems.length > PROBLEMS_LISTED_MAX) {
    const more = problems.length - PROBLEMS_LISTED_MAX;
    problems.splice(PROBLEMS_LISTED_MAX, more, `${more} more line(s) are not accepted either.`);
  }
  if (problems.length > 0) return { uris: [], problems };
  const uris = [...new Set(lines.map((line) => line.uri))];
  if (uris.length === 0) return { uris: [], problems: ['Enter at least one redirect URI.'] };
  if (uris.length > REDIRECT_URIS_MAX) return { uris: [], problems: [`Enter at most ${REDIRECT_URIS_MAX} redirect URIs: there are ${uris.length}.`] };
  return { uris, problems: [] };
}
