import type { ScenarioName } from './args.ts';

/**
 * What bounds each measured figure, from profiling this code on the development machine (2 cores,
 * 0.7-1.1 of them busy with other people's work during the runs): `pnpm bench --seconds 5 --profile`
 * on a private PostgreSQL 15 with pg_stat_statements (CPU profiles cut to each row's measured
 * seconds, statements per request), on 2026-11-29. Figures are from that run; each row's own
 * `coresUsed`, `cpuMsPerRequest` and (where available) `sqlPerRequest` are measured live.
 * Re-profile and update this text when the code under a scenario changes.
 */
export const BOUNDS: Readonly<Record<ScenarioName, string>> = {
  balance: 'CPU of the resource API process: 0.67 core (the rest went to the load generator, PostgreSQL and other work), '
    + '0.40 ms of CPU per request against 0.04 ms for the bare Express route. One SQL statement per request (the balance SELECT). '
    + 'With verified tokens cached (since d55e6bd) the main-thread profile is writev (the answer and the query) 42%, pino and '
    + 'pino-http child loggers about 7%, knex/pg 8%, router and OpenAPI validation about 5%; before that change ES256 '
    + 'verification through WebCrypto took 19%.',
  transfers: 'CPU per transfer on 2 shared cores: PostgreSQL 1.03 ms (0.53 core for 513/s) plus the resource API 0.84 ms (0.43 core), '
    + 'against 0.43 ms of PostgreSQL per tpcb-like transaction. One SQL round trip per transfer (ledger.post_transfer, mean 4.6 ms in '
    + 'the server under load) plus 6 deferred constraint-trigger statements at commit (3x the postings balance check, 3x a transfers '
    + 'lookup). API profile: writev 50%, ES256 verification 17%, then OpenAPI validation, pino-http, knex.',
  'hot-account': 'Row lock on the one source account: every transfer takes it FOR UPDATE, so transfers from it commit one after the '
    + 'other; measured 0.85x the distinct-accounts rate (7.1 SQL statements per request, as for distinct accounts). No refusals: '
    + 'the hot account holds 1,000,000.00 CNY and each transfer moves 0.01.',
  'client-credentials': 'Authorization-server CPU (0.74 core, 0.70 ms per grant against 0.36 ms in the bare provider) and 2 SQL '
    + 'round trips per grant that the bare provider does not make: the client read from auth.oidc_store and the INSERT into '
    + 'auth.access_tokens (recorded before the token is returned, for introspection and the grant check); PostgreSQL 0.36 core. '
    + 'Both spend ~15-27% in the ES256 signature (jobPromise); ours adds writev for the database sockets (23%) and knex/pg.',
  introspection: '5 sequential SQL round trips per introspection (4 reads of auth.oidc_store: the calling client, the refresh '
    + 'token, its grant and client; 1 of auth.resource_servers) against none in the memory adapter: the auth server spends '
    + '0.87 ms of CPU per request (writev 43% of its profile, pg/knex 11%) and PostgreSQL 0.62 ms, against 0.19 ms in the bare provider.',
  'code-flow': 'The Argon2id verification (m=19 MiB, t=2: 23.6 ms of CPU per hash measured alone on this machine) is about 60% of the '
    + 'authorization server\'s 38 ms of CPU per flow; the rest is 5 HTTP exchanges and 37 SQL statements per flow (15 reads of '
    + 'auth.oidc_store, 5 upserts, the login throttle, the users table).',
};

/** What bounds the peak RSS of the services (measured; see the README). */
export const RSS_BOUND = 'V8 heap sizing under an allocation-heavy load, not a leak: the bare oidc-provider reaches 290-313 MB under the '
  + 'same load; with BENCH_NODE_ARGS="--max-semi-space-size=4 --max-old-space-size=160" the services peaked at 161 MB (resource API) '
  + 'and 213 MB (authorization server) in one run, with client credentials 21% and introspection 10% slower in that run.';
