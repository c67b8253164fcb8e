import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';

const parseFormBody = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

/**
 * Parses `application/x-www-form-urlencoded` bodies of at most 16 KiB (413 beyond); nothing else is
 * parsed. Whatever the parser refuses is a 4xx with `expose` (shown as "The form could not be read"
 * by the error pages), never a 500: its own 4xx errors as they are, and those it throws without a
 * status of its own (an unsupported `Content-Encoding` is 415 without `expose`; a body that does not
 * inflate is a bare zlib error) as 415 and 400.
 */
export async function parseForm(ctx: Context, next: Next): Promise<void> {
  try {
    await parseFormBody(ctx, async () => undefined);
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    ctx.throw(typeof status === 'number' && status >= 400 && status < 500 ? status : 400, 'the form could not be read');
  }
  await next();
}

/** The parsed form, or an empty one. */
export function formOf(ctx: Context): Record<string, unknown> {
  const body = ctx.request.body;
  return body !== null && typeof body === 'object' ? body as Record<string, unknown> : {};
}

/**
 * A text field: the string sent, cut to `maxLength` UTF-16 units; '' when absent or not a string
 * (a repeated field arrives as an array and counts as absent).
 */
export function textField(form: Record<string, unknown>, name: string, maxLength: number): string {
  const value = form[name];
  return typeof value === 'string' ? value.slice(0, maxLength) : '';
}

/** A field that may repeat (checkboxes): every string value sent, at most `maxCount`. */
export function listField(form: Record<string, unknown>, name: string, maxCount: number): string[] {
  const value = form[name];
  const values = Array.isArray(value) ? value : [value];
  return values.filter((item): item is string => typeof item === 'string').slice(0, maxCount);
}

/** The hidden field of a confirmation page's form: its button acts, the first page's button only leads there. */
export const CONFIRM_FIELD = 'confirm';

/** Whether the form came from a confirmation page (`confirm=yes`). */
export function confirmed(form: Record<string, unknown>): boolean {
  return form[CONFIRM_FIELD] === 'yes';
}
