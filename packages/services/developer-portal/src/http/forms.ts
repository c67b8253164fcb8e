import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';

/** Parses `application/x-www-form-urlencoded` bodies of at most 16 KiB (413 beyond); nothing else is parsed. */
export const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

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
