/** Reads a refused form's errors back from a page, for the flow tests. Test support only. */
import { textOf } from './portal-agent.ts';

/** One line of the error summary: the field it links to (`#id`, or null) and its text. */
export interface SummaryItem {
  href: string | null;
  text: string;
}

/** The error summary's items, in order; empty when the page has none. */
export function errorSummaryOf(html: string): SummaryItem[] {
  const summary = /<div class="error-summary"[^>]*>([\s\S]*?)<\/ul>/.exec(html)?.[1];
  if (summary === undefined) return [];
  return [...summary.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((match) => {
    const item = match[1] ?? '';
    return { href: /<a href="([^"]*)">/.exec(item)?.[1] ?? null, text: textOf(item) };
  });
}

/** The text of the field error `<div id="…">` (the "Error:" prefix for screen readers included), or undefined. */
export function fieldErrorOf(html: string, id: string): string | undefined {
  const block = new RegExp(`<div class="error-message" id="${escaped(id)}">([\\s\\S]*?)</div>`).exec(html)?.[1];
  return block === undefined ? undefined : textOf(block);
}

/** The start tag of the element with this id, e.g. to read its `aria-invalid` and `aria-describedby`. */
export function startTagOf(html: string, id: string): string | undefined {
  return new RegExp(`<(?:input|textarea)[^>]* id="${escaped(id)}"[^>]*>`).exec(html)?.[0];
}

function escaped(id: string): string {
  return id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
