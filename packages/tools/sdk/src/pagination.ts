/**
 * `for await` over the API's cursor pages (`{ data, next_cursor }`, newest first): pages are
 * fetched one at a time, only as the loop asks for more; leaving the loop early fetches nothing more.
 */

/** One page as the list endpoints answer it. */
export interface Page<Item> {
  data: Item[];
  next_cursor: string | null;
}

/** Options of every paginated list. */
export interface PageOptions {
  /** Items fetched per request, 1 to 100 (the API's default 20). Does not limit how many the loop gets. */
  pageSize?: number;
  /** Start after this page (`next_cursor` of a page you read earlier). */
  cursor?: string;
}

/**
 * Yields every item of every page, following `next_cursor` until it is null.
 * @param fetchPage gets the page after `cursor` (undefined: the first)
 * @throws what `fetchPage` throws (a PayApiProblem), when the loop reaches that page
 */
export async function* paginate<Item>(fetchPage: (cursor: string | undefined) => Promise<Page<Item>>, cursor?: string): AsyncGenerator<Item, void, undefined> {
  let next: string | undefined = cursor;
  do {
    const page = await fetchPage(next);
    yield* page.data;
    const after = page.next_cursor ?? undefined;
    // A server that answered the same cursor again would keep the loop going for ever.
    if (after !== undefined && after === next) throw new Error(`the API answered the cursor it was given (${after}): stopping`);
    next = after;
  } while (next !== undefined);
}
