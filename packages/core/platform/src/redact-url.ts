/**
 * `value` with the password of its userinfo replaced by `***` (RFC 3986 §3.2.1), for logs and
 * messages; `unparseable` when it is not a URL at all (then nothing of it is shown).
 */
export function redactUrlPassword(value: string, unparseable: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return unparseable;
  }
}
