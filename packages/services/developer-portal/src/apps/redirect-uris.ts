import { PortalInputError } from '../http/errors.ts';

/** The registration policy's limit (docs/authorization-server.md, dynamic registration). */
export const REDIRECT_URIS_MAX = 10;
/** Longest redirect URI, characters. */
const REDIRECT_URI_LENGTH_MAX = 2000;

/**
 * The redirect URIs of the form's textarea, one per line: trimmed, blank lines dropped, repeats
 * dropped. The rules on each URI (absolute, https or http on localhost, no fragment or credentials)
 * are the authorization server's registration policy, applied when the app is saved; here only
 * the count and length, so that the message can say so plainly.
 *
 * @throws {PortalInputError} for none, more than 10, or one longer than 2000 characters
 */
export function parseRedirectUris(text: string): string[] {
  const uris = [...new Set(text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0))];
  if (uris.length === 0) throw new PortalInputError('Enter at least one redirect URI.');
  if (uris.length > REDIRECT_URIS_MAX) throw new PortalInputError(`Enter at most ${REDIRECT_URIS_MAX} redirect URIs.`);
  if (uris.some((uri) => uri.length > REDIRECT_URI_LENGTH_MAX)) throw new PortalInputError(`A redirect URI may have at most ${REDIRECT_URI_LENGTH_MAX} characters.`);
  return uris;
}
