#!/usr/bin/env bash
# The local cluster (docs/cluster.md): etcd, two PostgreSQL nodes under Patroni (synchronous mode),
# HAProxy terminating TLS, two authorization servers, two resource APIs and two webhook workers, all
# on this machine from Debian packages and this repository.
#
#   pnpm cluster up             installs what is missing, starts everything, waits until it is ready
#   pnpm cluster status         Patroni members and roles, each instance, HAProxy's backends
#   pnpm cluster restart WHAT   rolling restart without failed requests: auth, api, worker, all, or one
#                               instance (auth1, auth2, api1, api2, worker1, worker2)
#   pnpm cluster down           stops everything and removes the state folder
#   pnpm test:cluster           the fault tests against the running cluster (--short: the CI form)
#
# State (data, secrets, certificates, logs) lives in ${PAYAPI_CLUSTER_DIR:-/tmp/payapi-cluster}.
# Runs as root, or as a user with sudo (PostgreSQL runs as the postgres user).
set -Eeuo pipefail

# shellcheck source=lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/install.sh
. "$HERE/lib/install.sh"
# shellcheck source=lib/tls.sh
. "$HERE/lib/tls.sh"
# shellcheck source=lib/database.sh
. "$HERE/lib/database.sh"
# shellcheck source=lib/haproxy.sh
. "$HERE/lib/haproxy.sh"
# shellcheck source=lib/services.sh
. "$HERE/lib/services.sh"

# Marks a folder as ours: `down` removes only a folder that carries it.
MARKER=.payapi-cluster

up_failed() {
  trap - ERR
  printf 'cluster: up failed (the failing part said why above); stopping what had started\n' >&2
  cmd_down >&2 || true
  exit 1
}

cmd_up() {
  [ ! -e "$STATE" ] || die "$STATE exists: a cluster is up, or a failed one left it; run \`pnpm cluster down\` first"
  ensure_packages
  command -v node >/dev/null || die "node is not on PATH (. scripts/ensure-node.sh)"
  local busy
  busy=$(ports_in_use)
  [ -z "$busy" ] || die "ports the cluster needs are in use:"$'\n'"$busy"
  # The instances run in production mode, which refuses to start without a Redis that answers.
  local redis_address=${REDIS_URL#*://}
  redis_address=${redis_address##*@}
  redis_address=${redis_address%%/*}
  if ! (exec 3<>"/dev/tcp/${redis_address%:*}/${redis_address##*:}") 2>/dev/null; then
    die "nothing answers at ${redis_address} (PAYAPI_CLUSTER_REDIS_URL, default redis://127.0.0.1:6379): the instances need Redis for their shared state; start one (e.g. redis-server --daemonize yes)"
  fi

  mkdir -p "$STATE"
  chmod 755 "$STATE"
  touch "$STATE/$MARKER"
  mkdir -p "$STATE/run" "$STATE/logs" "$STATE/env" "$STATE/figures"
  trap up_failed ERR

  say "secrets and certificates ($STATE)"
  (
    umask 077
    {
      echo "POSTGRES_SUPERUSER_PASSWORD=$(random_secret)"
      echo "POSTGRES_REPLICATION_PASSWORD=$(random_secret)"
      echo "POSTGRES_REWIND_PASSWORD=$(random_secret)"
      echo "PAYAPI_DB_PASSWORD=$(random_secret)"
      echo "AUTH_COOKIE_KEYS=$(random_secret)"
      echo "AUTH_KEY_ENCRYPTION_SECRET=$(random_secret)"
      echo "WEBHOOK_SECRETS_KEY=$(random_secret)"
    } >"$STATE/secrets.env"
  )
  # shellcheck source=/dev/null # made just above
  . "$STATE/secrets.env"
  SERVICE_DATABASE_URL="postgres://payapi:$PAYAPI_DB_PASSWORD@127.0.0.1:$PORT_PG_PROXY/payapi"
  make_certificates

  say "etcd on 127.0.0.1:$PORT_ETCD_CLIENT"
  start_etcd
  say "PostgreSQL nodes pg1 (:${PORT_PG[pg1]}) and pg2 (:${PORT_PG[pg2]}) under Patroni; waiting for a leader and its synchronous standby"
  start_postgres_cluster
  say "HAProxy: PostgreSQL leader on :$PORT_PG_PROXY, $ISSUER, $API_URL"
  start_haproxy
  say "database payapi and its migrations"
  create_service_database
  env -i PATH="$PATH" HOME="${HOME:-/root}" DATABASE_URL="$SERVICE_DATABASE_URL" \
    node "$ROOT/packages/tools/cli/src/main.ts" db:migrate >"$STATE/logs/migrate.log" 2>&1 ||
    { tail -n 20 "$STATE/logs/migrate.log" >&2; false; }
  say "instances: ${INSTANCES[*]}"
  start_services
  local server
  for server in auth/auth1 auth/auth2 api/api1 api/api2; do
    wait_until 30 "HAProxy to see $server up" server_is "${server%/*}" "${server#*/}" UP
  done
  write_cluster_file
  trap - ERR
  say "up. $ISSUER (issuer) and $API_URL (resource API); trust $STATE/tls/ca.crt"
  say "(NODE_EXTRA_CA_CERTS=$STATE/tls/ca.crt, curl --cacert $STATE/tls/ca.crt). \`pnpm cluster status\` shows the rest."
}

# $STATE/cluster.json (0600): what the fault tests need to find and hurt the cluster's parts.
write_cluster_file() {
  local node instance kind first=1
  (
    umask 077
    {
      printf '{\n  "stateDir": "%s",\n  "issuer": "%s",\n  "apiUrl": "%s",\n  "caFile": "%s",\n' \
        "$STATE" "$ISSUER" "$API_URL" "$STATE/tls/ca.crt"
      printf '  "databaseUrl": "%s",\n  "haproxySocket": "%s",\n  "clusterScript": "%s",\n' \
        "$SERVICE_DATABASE_URL" "$STATE/haproxy/admin.sock" "$HERE/cluster.sh"
      printf '  "postgres": {'
      for node in "${PG_NODES[@]}"; do
        [ "$first" = 1 ] || printf ','
        first=0
        printf '\n    "%s": { "port": %s, "patroniUrl": "http://127.0.0.1:%s", "dataDir": "%s" }' \
          "$node" "${PORT_PG[$node]}" "${PORT_PATRONI[$node]}" "$STATE/pg/$node/data"
      done
      printf '\n  },\n  "instances": {'
      first=1
      for instance in "${INSTANCES[@]}"; do
        [ "$first" = 1 ] || printf ','
        first=0
        kind=$(kind_of "$instance")
        printf '\n    "%s": { "kind": "%s", "port": %s, "pidFile": "%s" }' \
          "$instance" "$kind" "${PORT_SERVICE[$instance]:-null}" "$STATE/run/$instance.pid"
      done
      printf '\n  }\n}\n'
    } >"$STATE/cluster.json"
  )
}

cmd_down() {
  if [ ! -e "$STATE" ]; then
    say "nothing to stop: $STATE does not exist"
  else
    [ -e "$STATE/$MARKER" ] || die "$STATE is not a cluster folder (no $MARKER in it): not touching it"
    [ -d "$STATE/run" ] || mkdir -p "$STATE/run"
    say "stopping the instances, HAProxy, Patroni and PostgreSQL, etcd"
    stop_services
    stop_pid "$STATE/run/haproxy.pid" 10
    stop_postgres_cluster
    stop_pid "$STATE/run/etcd.pid" 10
  fi
  local busy
  if ! wait_until 10 "the cluster's ports to be free" test -z "$(ports_in_use)"; then
    busy=$(ports_in_use)
    printf 'cluster: still in use:\n%s\n' "$busy" >&2
    [ -e "$STATE" ] && printf 'cluster: %s kept (logs)\n' "$STATE" >&2
    exit 1
  fi
  if [ -e "$STATE" ]; then as_root rm -rf "$STATE"; fi
  say "down: no process, port or folder of the cluster left"
}

cmd_status() {
  [ -f "$STATE/cluster.json" ] || { say "not up ($STATE/cluster.json does not exist)"; exit 3; }
  local problems=0 instance port state
  if curl -fsS --max-time 2 "http://127.0.0.1:$PORT_ETCD_CLIENT/health" >/dev/null 2>&1; then
    echo "etcd: healthy (127.0.0.1:$PORT_ETCD_CLIENT)"
  else
    echo "etcd: NOT ANSWERING"
    problems=$((problems + 1))
  fi
  echo "PostgreSQL (patronictl list):"
  as_root patronictl -c "$STATE/pg/pg1/patroni.yml" list 2>&1 | sed 's/^/  /' || problems=$((problems + 1))
  echo "instances:"
  for instance in "${INSTANCES[@]}"; do
    port=${PORT_SERVICE[$instance]:-}
    if ! pid_alive "$STATE/run/$instance.pid"; then
      state="DOWN"
      problems=$((problems + 1))
    elif instance_ready "$instance"; then
      state="up, ready"
    else
      state="up, NOT READY"
      problems=$((problems + 1))
    fi
    printf '  %-8s pid %-7s %-22s %s\n' "$instance" "$(cat "$STATE/run/$instance.pid" 2>/dev/null || echo -)" \
      "${port:+127.0.0.1:$port}" "$state"
  done
  echo "HAProxy ($ISSUER, $API_URL, PostgreSQL 127.0.0.1:$PORT_PG_PROXY, stats http://127.0.0.1:$PORT_HAPROXY_STATS/;"
  echo "in backend postgres only the leader is UP):"
  if pid_alive "$STATE/run/haproxy.pid"; then haproxy_table; else echo "  NOT RUNNING"; problems=$((problems + 1)); fi
  [ "$problems" = 0 ] || { echo "$problems problem(s)"; exit 1; }
}

cmd_restart() {
  [ -f "$STATE/cluster.json" ] || die "the cluster is not up (pnpm cluster up)"
  local target=${1:-} instances=()
  case $target in
    auth | api | worker) instances=("${target}1" "${target}2") ;;
    all) instances=("${INSTANCES[@]}") ;;
    auth[12] | api[12] | worker[12]) instances=("$target") ;;
    *) die "restart what? auth, api, worker, all, or one of: ${INSTANCES[*]}" ;;
  esac
  local instance
  for instance in "${instances[@]}"; do restart_instance "$instance"; done
}

cmd_test() {
  [ -f "$STATE/cluster.json" ] || die "the cluster is not up: run \`pnpm cluster up\` first (state folder $STATE)"
  local args=()
  for arg in "$@"; do
    if [ "$arg" = --short ]; then export CLUSTER_SHORT=1; else args+=("$arg"); fi
  done
  cd "$ROOT"
  # Node reads NODE_EXTRA_CA_CERTS at start only: it must be set before jest starts.
  NODE_EXTRA_CA_CERTS="$STATE/tls/ca.crt" PAYAPI_CLUSTER_DIR="$STATE" exec node --experimental-vm-modules \
    --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js --config jest.cluster.config.js --runInBand "${args[@]}"
}

command=${1:-}
[ $# -gt 0 ] && shift
case $command in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  restart) cmd_restart "$@" ;;
  test) cmd_test "$@" ;;
  *) die "usage: cluster.sh up | down | status | restart auth|api|worker|all|INSTANCE | test [--short]" ;;
esac
