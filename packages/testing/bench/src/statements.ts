import pg from 'pg';

/** Calls per statement (pg_stat_statements `queryid`) at one moment. */
export type StatementSnapshot = Map<string, { query: string; calls: number }>;

/** Counts SQL statements in one database through pg_stat_statements. */
export interface StatementCounter {
  snapshot(): Promise<StatementSnapshot>;
  /**
   * Statements per request since `before` (0.01), and the five most frequent.
   *
   * @param requests requests completed meanwhile; 0 gives undefined
   */
  perRequest(before: StatementSnapshot, requests: number): Promise<{ total: number; top: Array<{ perRequest: number; query: string }> } | undefined>;
  close(): Promise<void>;
}

/**
 * Opens a counter on `databaseUrl` when pg_stat_statements works there (the extension is created
 * if missing, which needs it in `shared_preload_libraries`); undefined otherwise (most servers:
 * the figures are then simply not reported).
 */
export async function openStatementCounter(databaseUrl: string): Promise<StatementCounter | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'payapi-bench-statements' });
  await client.connect();
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT 1 FROM pg_stat_statements LIMIT 1');
  } catch {
    await client.end();
    return undefined;
  }
  const snapshot = async (): Promise<StatementSnapshot> => {
    const { rows } = await client.query<{ queryid: string; query: string; calls: string }>(
      `SELECT queryid::text, query, calls::text FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND NOT (query ILIKE '%pg_stat_statements%')`);
    return new Map(rows.map((row) => [`${row.queryid}`, { query: row.query, calls: Number(row.calls) }]));
  };
  return {
    snapshot,
    async perRequest(before, requests) {
      if (requests <= 0) return undefined;
      const after = await snapshot();
      const deltas = [...after].map(([id, { query, calls }]) => ({ query, calls: calls - (before.get(id)?.calls ?? 0) })).filter((entry) => entry.calls > 0);
      const total = deltas.reduce((sum, entry) => sum + entry.calls, 0);
      const round = (value: number): number => Math.round(value * 100) / 100;
      return {
        total: round(total / requests),
        top: deltas.sort((a, b) => b.calls - a.calls).slice(0, 5)
          .map((entry) => ({ perRequest: round(entry.calls / requests), query: entry.query.replace(/\s+/g, ' ').slice(0, 160) })),
      };
    },
    close: () => client.end(),
  };
}
