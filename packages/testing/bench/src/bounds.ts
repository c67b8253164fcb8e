import type { ScenarioName } from './args.ts';

/**
 * What bounds each measured figure. On 2 cores every process of a row competes for the same CPU,
 * so a row's ratio is close to (CPU per request of the reference, all processes) / (CPU per request
 * of ours, all processes): balance, transfers and hot-account are from the published run of 2026-12-07
 * 06:07 UTC (embedded PostgreSQL 18.4, the services with their own memory settings, machine otherwise
 * idle) and two more that morning, the token rows from runs of the same day, the others from earlier
 * runs as they say; statement counts from runs on a private PostgreSQL 15 with pg_stat_statements,
 * profiles from `--profile` runs. Each row's own `coresUsed`,
 * `cpuMsPerRequest` and (where available) `sqlPerRequest` are measured live. Re-profile and update
 * this text when the code under a scenario changes.
 */
export const BOUNDS: Readonly<Record<ScenarioName, string>> = {
  balance: 'CPU per request in the published run of 2026-12-07 06:07 UTC (embedded PostgreSQL 18.4, machine otherwise idle): '
    + 'resource API 0.40 ms, PostgreSQL 0.18, load generator 0.10 (0.68 ms in all) against 0.30 ms for the same SQL on a '
    + 'plain pg pool (reference 0.11, PostgreSQL 0.13, load generator 0.06): at most 0.45 on 2 cores, measured 0.35-0.42 in '
    + 'three runs. The statement is the same (one SELECT by primary key with the owner check); what is ours is the HTTP/Node '
    + 'layer, about 0.29 ms per request more: the rate limit\'s Redis round trip (one command and its answer on another '
    + 'socket, ioredis ~3% of the API\'s samples), the token (signature cached; the revocation set), express-openapi-'
    + 'validator (~2.4%, after the patch that compiles its route regexps once), helmet\'s headers, pino-http, the metrics '
    + 'histogram, the request log, Express routing over every route. The API\'s profile is dominated by socket writes '
    + '(writev ~29%, writeUtf8String ~9%: the answer, the query, the Redis command; wall-time samples, so a write that wakes '
    + 'PostgreSQL or Redis counts as the writer\'s), GC ~6%. No single layer is above 5%: 0.7 would need most of them gone.',
  'request-log': 'The request log adds, per call, one object pushed on an array when the answer has finished (no I/O, no '
    + 'await on the request path), and per batch of up to 1,000 rows one INSERT of seven unnested arrays on a pool of its own '
    + '(one connection): two index entries per row (client and time B-tree, time BRIN). At the balance rate that is a few '
    + 'statements per second, so the row should cost little more than the API\'s extra CPU for building the rows and the '
    + 'arrays and PostgreSQL\'s for the inserts. Measured in the note of the run.',
  revocation: 'Revocation at once adds, per call, one Map lookup of the token\'s jti (and one per payment consent it carries) '
    + 'in the set that LISTEN/NOTIFY keeps, after the cached signature check: no I/O, no query. The listening connection costs a '
    + '`SELECT 1` every 2 s. So the row should be within the noise of its reference (REVOCATION_CHECK=none, reads unchecked as '
    + 'before). Measured in the note of the run.',
  transfers: 'CPU per transfer in the published run (2026-12-07 06:07 UTC): PostgreSQL 1.20 ms, resource API 0.47, load generator '
    + '0.11 (1.77 ms in all), against 1.65 ms for PostgreSQL alone running api.post_transfer one transfer per commit (the '
    + 'post_transfer reference: 0.89, target 0.8 met; 0.80-1.12 in three runs) and 0.62 ms per tpcb-like transaction '
    + '(PostgreSQL 0.53, pgbench 0.10): at most 0.35 on 2 cores, measured 0.29-0.42. Batching (group commit) took '
    + 'PostgreSQL from 1.61 to 1.20 ms and the API from 0.71 to 0.47 ms per transfer (the unbatched row, same run: ratio '
    + '1.13-2.0 in three runs): one statement, one commit and one WAL flush per batch. What is left is the rows themselves: '
    + 'per transfer 4 ledger rows (transfer, 2 postings, idempotency record with its jsonb answer) with 9 index entries and '
    + '7 foreign-key checks, 2 events (transfer.completed, transaction.booked) with their index entries, the grant check, '
    + 'the readers of both accounts, and the deferred double-entry check; tpcb-like writes 3 HOT updates and 1 unindexed '
    + 'insert. 1.0 of tpcb-like would need all processes under 0.62 ms per transfer, about half of what PostgreSQL alone '
    + 'spends on these rows (under pg_stat_statements: events.events inserts and the events\' readers are the largest '
    + 'nested statements).',
  webhooks: 'Each transfer appends its events in any case; with a subscribed endpoint it also writes two delivery rows in the '
    + 'booking transaction, and the worker claims, signs, sends and records each delivery (two more statements), on the same 2 '
    + 'cores as the resource API and PostgreSQL. Measured in the closing note of the run.',
  'hot-account': 'Row lock on the one source account. Booked alone, every transfer takes it FOR UPDATE and commits before the '
    + 'next may (484 transfers/s, p99 128 ms in the published run); batched, a batch takes it once for up to 64 transfers '
    + 'and one commit (1,023/s, p99 53 ms: 2.11 times the unbatched rate, target 1.5 met; 2.07-2.54 in three runs, 7.2 '
    + 'times the 142/s of the same bench before batching). A batch of the hot account runs alone while it holds the lock, so '
    + 'the rate is one batch per round trip: PostgreSQL 0.88 ms per transfer, the API 0.34. No refusals: the hot account '
    + 'holds 1,000,000.00 CNY and each transfer moves 0.01.',
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

/** What bounds the peak RSS of the services (measured; see docs/performance.md, "Memory"). */
export const RSS_BOUND = 'V8 heap sizing and glibc arenas, not a leak. With V8\'s defaults the authorization server reached '
  + '414 MB and the resource API 430 MB (run of 2026-12-07 04:55 UTC): V8 lets garbage grow far before collecting when the '
  + 'heap limit is gigabytes. Every service now starts with SERVICE_RUNTIME_ENV (scripts/run-service.sh): '
  + '--max-semi-space-size=16 --max-old-space-size=128 and MALLOC_ARENA_MAX=2, and at most half the cores hash passwords at '
  + 'once. Published run (06:07 UTC): authorization server 223 MB, resource API 229 MB, webhook worker 134 MB. Smaller '
  + 'semi-spaces cost up to 40% of the rate (objects of requests in flight promoted to the old generation); an old generation '
  + 'of 128 MB alone (default semi-spaces) thrashed the API; two malloc arenas took about 50 MB off the authorization server '
  + '(password hashes on libuv\'s threads); one hash at a time took the code-flow row from 260 to 199-223 MB at the same '
  + 'rate. Live heaps after a full collection: about 30 MB (authorization server), 40-55 MB (resource API).';
