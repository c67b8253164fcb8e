/**
 * One thing to correct in a refused form (docs/developer-portal.md, "Forms and errors"). The page
 * shows it twice, after the GOV.UK Design System's error summary pattern: in the error summary at
 * the top of the page (focused on load, a link to its field), and beside its field, whose input
 * then carries `aria-invalid="true"` and `aria-describedby` naming the message (WCAG 2.1 SC 3.3.1
 * Error Identification, 3.3.3 Error Suggestion). A long page re-rendered after a POST opens at its
 * top, so the summary is what the developer sees first.
 */
export interface FieldError {
  /** The id of the input the problem is about (the summary links to it), or null for the whole form. */
  field: string | null;
  /** A sentence for people, shown as it is (escaped). */
  message: string;
}

/** The title of a page that shows errors: "Error: " first, so screen readers say so before anything else. */
export function errorTitle(title: string, errors: readonly FieldError[]): string {
  return errors.length > 0 ? `Error: ${title}` : title;
}
