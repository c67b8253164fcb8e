import type { ScenarioName } from './args.ts';

/**
 * What bounds each measured figure. On 2 cores every process of a row competes for the same CPU,
 * so a row's ratio is close to (CPU per request of the reference, all processes) / (CPU per request
 * of ours, all processes): the figures below are from the full run of 2026-11-30 00:19 UTC (machine
 * otherwise idle, default Node flags; the 00:34 run agrees within 2%), statement counts from a quick run on a private PostgreSQL 15
 * with pg_stat_statements, profiles from `--profile` runs. Each row's own `coresUsed`,
 * `cpuMsPerRequest` and (where available) `sqlPerRequest` are measured live. Re-profile and update
 * this text when the code under a scenario changes.
 */
export const BOUNDS: Readonly<Record<ScenarioName, string>> = {
  balance: 'CPU: 0.46 ms per request in all (resource API 0.27, PostgreSQL 0.12, load generator 0.07) against 0.055 ms for the '
    + 'bare Express route (0.028 + 0.027): at most 0.12 on 2 cores, measured 0.10. Two SQL statements per request since the '
    + 'portal review (the grant-state check, auth.access_token_account_ids, so a revoked grant or deleted app stops reading at '
    + 'once; then the balance SELECT with the owner check); the CPU figures above predate the first and need a re-run. '
    + 'Verified tokens are cached, so the signature is not checked per request. The API\'s profile: writev (the answer and '
    + 'the query on loopback sockets) about 40%, pino/pino-http child loggers ~7%, knex/pg ~8%, router and OpenAPI validation ~5%. '
    + 'A database round trip per request is the floor a no-I/O reference never pays; the same-SQL reference (issue 18) pays it '
    + 'too, so its ratio is the cost of our HTTP/Node layer alone: not yet profiled.',
  'request-log': 'The request log adds, per call, one object pushed on an array when the answer has finished (no I/O, no '
    + 'await on the request path), and per batch of up to 1,000 rows one INSERT of seven unnested arrays on a pool of its own '
    + '(one connection): two index entries per row (client and time B-tree, time BRIN). At the balance rate that is a few '
    + 'statements per second, so the row should cost little more than the API\'s extra CPU for building the rows and the '
    + 'arrays and PostgreSQL\'s for the inserts. Measured in the note of the run.',
  revocation: 'Revocation at once adds, per call, one Map lookup of the token\'s jti (and one per payment consent it carries) '
    + 'in the set that LISTEN/NOTIFY keeps, after the cached signature check: no I/O, no query. The listening connection costs a '
    + '`SELECT 1` every 2 s. So the row should be within the noise of its reference (REVOCATION_CHECK=none, reads unchecked as '
    + 'before). Measured in the note of the run.',
  transfers: 'CPU: 1.85 ms per transfer in all (PostgreSQL 1.19, resource API 0.53, load generator 0.13) against 0.54 ms per '
    + 'tpcb-like transaction (PostgreSQL 0.45, pgbench 0.09): at most 0.29 on 2 cores, measured 0.28. One SQL round trip per '
    + 'transfer (ledger.post_transfer) plus 4 constraint-trigger statements at commit (the double-entry check, once per transfer). '
    + 'PostgreSQL does more per transfer than tpcb-like: 4 rows written (transfer, 2 postings, idempotency record with its jsonb '
    + 'answer) with 9 index entries and 7 foreign-key checks, against 3 HOT updates and 1 unindexed insert. The tpcb-like target '
    + '(1.0 since issue 18) would need all processes together under 0.54 ms per transfer, less than PostgreSQL alone spends on '
    + 'these writes one transfer per commit. The post_transfer reference (pgbench running our own statement) and the unbatched '
    + 'rows (TRANSFER_BATCH_MAX=1) are new with issue 18 and not yet profiled.',
  webhooks: 'Each transfer appends its events in any case; with a subscribed endpoint it also writes two delivery rows in the '
    + 'booking transaction, and the worker claims, signs, sends and records each delivery (two more statements), on the same 2 '
    + 'cores as the resource API and PostgreSQL. Measured in the closing note of the run.',
  'hot-account': 'Row lock on the one source account: every transfer takes it FOR UPDATE, so transfers from it commit one after the '
    + 'other; 0.69-0.82 of the distinct-accounts rate in the final runs. No refusals: the hot account holds 1,000,000.00 CNY and '
    + 'each transfer moves 0.01.',
  'client-credentials': 'CPU (three runs of --only client-credentials,introspection --seconds 5 on 2026-12-07, private '
    + 'PostgreSQL 15, machine otherwise idle): 0.62 ms per grant in all (authorization server 0.43-0.52, PostgreSQL 0.06, load '
    + 'generator 0.08) against 0.35 ms for the bare provider (0.28-0.31 + 0.05): about 0.56 on 2 cores, measured 0.52-0.66 '
    + '(0.33-0.36 before, when each grant was its own INSERT and commit: 0.97-1.08 ms in all). 0.1 SQL statements per grant: '
    + 'the access-token records of concurrent grants share one INSERT of unnested arrays and one commit (about 9.5 per '
    + 'statement at 32 connections, 0.02 ms of execution per token), still committed before the token is returned; the '
    + 'client and its secret hash come from the cache that LISTEN/NOTIFY keeps current. Profile (auth server, wall time): '
    + 'oidc-provider ~20%, node internals ~28% (the ES256 signature ~9%, as in the bare provider), socket writes ~10% (the '
    + 'answer, and PostgreSQL woken by the batch), Koa, routers and our middleware ~14%, GC ~7%, pino-http ~5% (two child '
    + 'loggers per request it makes whatever the level), knex/pg ~3%. What is left over the bare provider is mostly that '
    + 'middleware, the log, the batch\'s round trip and oidc-provider hashing the client\'s metadata at every Client.find '
    + '(static clients skip it).',
  introspection: 'CPU (the same three runs): 0.41 ms per introspection in all (authorization server 0.28-0.31, PostgreSQL '
    + '0.055, load generator 0.06) against 0.28 ms for the bare provider (0.19-0.22 + 0.08): about 0.67, measured 0.63-0.71 '
    + '(0.23-0.28 before, with two sequential reads per request: 0.87-1.37 ms in all). 0.1 SQL statements per request: the '
    + 'refresh token comes with its live grant in one SELECT (a LEFT JOIN on the generated grant_id; oidc-provider\'s '
    + 'Grant read in the same request takes it), and the reads of concurrent requests share that SELECT (about 9 per '
    + 'statement, 0.02 ms of execution per read); the calling client, its secret hash and the resource-server flag come '
    + 'from the client cache. Profile (auth server, wall time): oidc-provider ~16%, socket writes ~15%, Koa and our '
    + 'middleware ~16%, GC ~8%, knex/pg and the batching ~7%, pino-http ~5%, the JWT header check ~5% (both providers).',
  'code-flow': 'The Argon2id verification (m=19 MiB, t=2: 23.6 ms of CPU per hash measured alone on this machine) is about 65% of the '
    + 'authorization server\'s 36 ms of CPU per flow; the rest is 5 HTTP exchanges and 32 SQL statements per flow (10 reads of '
    + 'auth.oidc_store by id and 4 by uid, 5 upserts, the login throttle, the users table).',
};

/** What bounds the peak RSS of the services (measured; see docs/performance.md). */
export const RSS_BOUND = 'V8 heap sizing under an allocation-heavy load, not a leak: in the runs of 2026-11-30 00:34 and 00:37 UTC '
  + '(machine otherwise idle) the default flags let the authorization server reach 417 MB and the resource API 423 MB (the bare '
  + 'oidc-provider 305 MB); with BENCH_NODE_ARGS="--max-semi-space-size=4 --max-old-space-size=160" (the Docker image\'s '
  + 'NODE_OPTIONS) they stayed at 227 MB and 183 MB, at a cost in rate of 1% (transfers) to 30% (client credentials): more '
  + 'frequent garbage collection. --max-semi-space-size=4 alone left them at 304 and 290 MB.';
