#!/bin/sh
# Entry point of the PostgreSQL stand-in (postgres.Containerfile), doing what the official image's
# does for this compose file: started as root, it makes the socket folder and the data folder the
# user `postgres`'s and runs itself again as `postgres` (setpriv, where the official one has gosu).
# On the first start an empty PGDATA becomes a cluster whose superuser is POSTGRES_USER with
# POSTGRES_PASSWORD (SCRAM over the network, trust over the local socket, as in the official image),
# with the database POSTGRES_DB; then PostgreSQL runs in the foreground. Later starts use the data
# as they find it.
set -eu
if [ "$(id -u)" = 0 ]; then
  mkdir -p /run/postgresql "$PGDATA"
  chown postgres:postgres /run/postgresql "$PGDATA"
  chmod 3777 /run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "${1:-postgres}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required (the official image refuses to start without it too)}"
  user=${POSTGRES_USER:-postgres}
  database=${POSTGRES_DB:-$user}
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  password_file=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
  initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
  rm -f "$password_file"
  printf "listen_addresses = '*'\n" >>"$PGDATA/postgresql.conf"
  printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    psql -v ON_ERROR_STOP=1 --username="$user" --dbname=postgres -q -c "CREATE DATABASE \"$database\""
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $database)"
fi
if [ "${1:-}" = postgres ]; then shift; exec postgres -D "$PGDATA" "$@"; fi
exec "$@"
