/**
 * Characters refused in every free-text field: control characters (C0, DEL, C1) and the
 * bidirectional overrides and isolates that can make a text display as something else (Trojan
 * Source, CVE-2021-42574). Lone UTF-16 surrogates are refused separately: the database driver would
 * silently turn them into U+FFFD, so two different strings could be stored as one.
 */
const FORBIDDEN_CHARACTERS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** True when `text` is well-formed UTF-16 and has none of the forbidden characters above. */
export function isSafeText(text: string): boolean {
  return text.isWellFormed() && !FORBIDDEN_CHARACTERS.test(text);
}
