/**
 * `limit` and `cursor` of a list's query string, as the events package takes them. They arrive
 * validated by the OpenAPI document (`limit` a plain integer from 1 to 100, `cursor` a short string);
 * absent ones are left out.
 */
export function pageQuery(query: unknown): { limit?: number; cursor?: string } {
  const { limit, cursor } = query as Record<string, unknown>;
  return {
    ...(limit === undefined ? {} : { limit: Number(limit) }),
    ...(typeof cursor === 'string' ? { cursor } : {}),
  };
}
