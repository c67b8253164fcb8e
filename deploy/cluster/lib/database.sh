# shellcheck shell=bash
# etcd (one member), two PostgreSQL nodes under Patroni in synchronous mode, and the database the
# services use. Patroni and PostgreSQL run as the postgres user, data under $STATE/pg/<node>.

start_etcd() {
  mkdir -p "$STATE/etcd"
  launch etcd "$STATE/logs/etcd.log" etcd --name payapi-etcd --data-dir "$STATE/etcd/data" \
    --listen-client-urls "http://127.0.0.1:$PORT_ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$PORT_ETCD_CLIENT" \
    --listen-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$PORT_ETCD_PEER" \
    --initial-cluster "payapi-etcd=http://127.0.0.1:$PORT_ETCD_PEER" --initial-cluster-state new \
    --initial-cluster-token payapi-cluster
  wait_until 30 "etcd to answer /health" curl -fsS "http://127.0.0.1:$PORT_ETCD_CLIENT/health" ||
    { tail -n 20 "$STATE/logs/etcd.log" >&2; return 1; }
}

# Writes each node's patroni.yml (0600 from its creation, umask 077, then owned by postgres) from the
# template and the generated passwords.
configure_patroni() {
  local node dir
  for node in "${PG_NODES[@]}"; do
    dir="$STATE/pg/$node"
    mkdir -p "$dir"
    (
      umask 077
      render "$HERE/templates/patroni.yml" "$dir/patroni.yml" NAME="$node" PATRONI_PORT="${PORT_PATRONI[$node]}" \
        ETCD_PORT="$PORT_ETCD_CLIENT" PG_PORT="${PORT_PG[$node]}" NODE_DIR="$dir" PG_BIN="$PG_BIN" \
        SUPERUSER_PASSWORD="$POSTGRES_SUPERUSER_PASSWORD" REPLICATION_PASSWORD="$POSTGRES_REPLICATION_PASSWORD" \
        REWIND_PASSWORD="$POSTGRES_REWIND_PASSWORD"
    )
    chmod 600 "$dir/patroni.yml"
    as_root chown -R postgres:postgres "$dir"
    chmod 700 "$dir"
  done
}

# start_patroni NODE: Patroni as postgres, in a session of its own; the pid file is written by the
# postgres user, so it lives in the node's folder.
start_patroni() {
  local node=$1 dir="$STATE/pg/$1"
  # shellcheck disable=SC2016 # the inner shell expands these
  as_postgres setsid bash -c 'echo $$ > "$0"; exec patroni "$1"' "$dir/patroni.pid" "$dir/patroni.yml" \
    </dev/null >>"$STATE/logs/$node.log" 2>&1 &
  wait_until 5 "patroni $node to start" as_root test -s "$dir/patroni.pid"
}

# patroni_answers NODE PATH: true when the node's Patroni REST API answers 200 on PATH
# (/primary, /replica, /sync…).
patroni_answers() { curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:${PORT_PATRONI[$1]}$2"; }

# The node that is the leader now (empty when none is).
leader_node() {
  local node
  for node in "${PG_NODES[@]}"; do patroni_answers "$node" /primary && { echo "$node"; return 0; }; done
  return 0
}

leader_known() { [ -n "$(leader_node)" ]; }

# True when one node is the primary and the other its synchronous standby.
synchronous_pair_ready() {
  local leader
  leader=$(leader_node)
  [ -n "$leader" ] || return 1
  local node
  for node in "${PG_NODES[@]}"; do [ "$node" = "$leader" ] || patroni_answers "$node" /sync || return 1; done
}

start_postgres_cluster() {
  configure_patroni
  local node
  for node in "${PG_NODES[@]}"; do start_patroni "$node"; done
  wait_until 120 "a PostgreSQL leader (Patroni /primary)" leader_known ||
    { tail -n 30 "$STATE"/logs/pg*.log >&2; return 1; }
  wait_until 180 "a synchronous standby (Patroni /sync)" synchronous_pair_ready ||
    { tail -n 30 "$STATE"/logs/pg*.log >&2; return 1; }
}

# psql as the superuser through HAProxy (so: on the leader), reading SQL on stdin.
leader_psql() {
  PGPASSWORD="$POSTGRES_SUPERUSER_PASSWORD" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$PORT_PG_PROXY" -U postgres -d postgres "$@"
}

# The role and database the services use (not a superuser): payapi, owner of database payapi.
create_service_database() {
  wait_until 30 "PostgreSQL through HAProxy (127.0.0.1:$PORT_PG_PROXY)" leader_psql -c 'SELECT 1' || return 1
  leader_psql -v password="$PAYAPI_DB_PASSWORD" <<'SQL'
CREATE ROLE payapi LOGIN PASSWORD :'password';
CREATE DATABASE payapi OWNER payapi;
SQL
}

# Stops Patroni on every node (each stops its PostgreSQL), then anything left of PostgreSQL.
stop_postgres_cluster() {
  local node dir pid
  for node in "${PG_NODES[@]}"; do
    dir="$STATE/pg/$node"
    if as_root test -s "$dir/patroni.pid"; then as_root cat "$dir/patroni.pid" >"$STATE/run/patroni-$node.pid"; fi
    as_root rm -f "$dir/patroni.pid"
  done
  # Both at once: stopping the leader first would make the other one take over, for nothing.
  local stopping=()
  for node in "${PG_NODES[@]}"; do
    stop_pid "$STATE/run/patroni-$node.pid" 40 &
    stopping+=($!)
  done
  wait "${stopping[@]}"
  # A postmaster Patroni left behind (Patroni killed, or a postmaster started by hand): stop it by
  # the pid PostgreSQL wrote (its children notice and exit).
  for node in "${PG_NODES[@]}"; do
    dir="$STATE/pg/$node/data"
    as_root test -s "$dir/postmaster.pid" || continue
    pid=$(as_root head -1 "$dir/postmaster.pid")
    if kill -0 "$pid" 2>/dev/null && is_ours "$pid"; then
      say "PostgreSQL of $node (pid $pid) still runs: stopping it"
      as_postgres "$PG_BIN/pg_ctl" -D "$dir" stop -m immediate -w -t 20 >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}
