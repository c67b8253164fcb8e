# shellcheck shell=bash
# What every part of cluster.sh shares: the state folder, the ports, messages, waiting, launching.
# shellcheck disable=SC2034 # the names below are used by the files that source this one

# Everything the cluster writes (data, configuration, secrets, certificates, logs, pid files) lives
# here; `down` removes it. It must be reachable by the postgres user (PostgreSQL's data is in it).
STATE="${PAYAPI_CLUSTER_DIR:-/tmp/payapi-cluster}"
# The repository this script belongs to: the services run from its packages.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$ROOT/deploy/cluster"

# Ports, all on 127.0.0.1. The public ones are HAProxy's; everything else is reachable from this
# machine only and is an implementation detail (docs/cluster.md lists them).
PORT_ETCD_CLIENT=2379
PORT_ETCD_PEER=2380
PORT_PG_PROXY=5440           # HAProxy: PostgreSQL, always the current leader
declare -A PORT_PG=([pg1]=5441 [pg2]=5442)
declare -A PORT_PATRONI=([pg1]=8008 [pg2]=8009)
PORT_AUTH_PUBLIC=8443        # HAProxy: https://localhost:8443, the issuer
PORT_API_PUBLIC=8444         # HAProxy: https://localhost:8444, the resource API
PORT_HAPROXY_STATS=8404      # HAProxy's read-only stats page (http)
# The service instances: listen port (LISTEN_ADDRESS=127.0.0.1) and metrics port (METRICS_PORT).
declare -A PORT_SERVICE=([auth1]=4101 [auth2]=4102 [api1]=4111 [api2]=4112)
declare -A PORT_METRICS=([auth1]=9101 [auth2]=9102 [api1]=9111 [api2]=9112 [worker1]=9121 [worker2]=9122)
PG_NODES=(pg1 pg2)
INSTANCES=(auth1 auth2 api1 api2 worker1 worker2)

ISSUER="https://localhost:$PORT_AUTH_PUBLIC"
API_URL="https://localhost:$PORT_API_PUBLIC"
# A Redis of the machine, shared by the instances (DPoP replay, rate limits), under a prefix of ours.
REDIS_URL="${PAYAPI_CLUSTER_REDIS_URL:-redis://127.0.0.1:6379}"
REDIS_KEY_PREFIX="payapi-cluster:"

PG_BIN="${PAYAPI_CLUSTER_PG_BIN:-/usr/lib/postgresql/15/bin}"

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# Runs a command as the postgres user (PostgreSQL refuses to run as root).
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

# wait_until SECONDS WHAT COMMAND...: runs COMMAND every 0.2 s until it succeeds; dies naming WHAT
# after SECONDS.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { printf 'cluster: %s: not within %s s\n' "$what" "$seconds" >&2; return 1; }
    sleep 0.2
  done
}

# The ports `up` needs, with what uses each (for the message when one is taken).
all_ports() {
  printf '%s etcd-client\n%s etcd-peer\n%s haproxy-postgres\n%s haproxy-auth\n%s haproxy-api\n%s haproxy-stats\n' \
    "$PORT_ETCD_CLIENT" "$PORT_ETCD_PEER" "$PORT_PG_PROXY" "$PORT_AUTH_PUBLIC" "$PORT_API_PUBLIC" "$PORT_HAPROXY_STATS"
  local node instance
  for node in "${PG_NODES[@]}"; do printf '%s %s-postgres\n%s %s-patroni\n' "${PORT_PG[$node]}" "$node" "${PORT_PATRONI[$node]}" "$node"; done
  for instance in "${!PORT_SERVICE[@]}"; do printf '%s %s\n' "${PORT_SERVICE[$instance]}" "$instance"; done
  for instance in "${!PORT_METRICS[@]}"; do printf '%s %s-metrics\n' "${PORT_METRICS[$instance]}" "$instance"; done
}

# Ports of all_ports that something listens on now, one "port use (listener)" per line.
ports_in_use() {
  local port use listener
  while read -r port use; do
    listener=$(ss -Hltnp "sport = :$port" 2>/dev/null | head -1)
    [ -z "$listener" ] || printf '%s %s (%s)\n' "$port" "$use" "$(grep -o 'users:.*' <<<"$listener" || echo 'a listener')"
  done < <(all_ports | sort -n)
}

# pid_alive FILE: true when FILE names a running process.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# launch NAME LOG COMMAND...: starts COMMAND in a session of its own (it outlives this script and
# the terminal), stdin closed, output appended to LOG; its pid goes to $STATE/run/NAME.pid, written
# by the process itself so that it is the pid of COMMAND and not of a wrapper.
launch() {
  local name=$1 log=$2
  shift 2
  # shellcheck disable=SC2016 # the inner shell expands these
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$STATE/run/$name.pid" "$@" </dev/null >>"$log" 2>&1 &
  wait_until 5 "$name to start" test -s "$STATE/run/$name.pid"
}

# is_ours PID: true when the process's command line names this cluster's state folder or this
# repository's packages (every process `up` starts does), so a pid file left from before a reboot
# never gets an unrelated process that now has that pid killed.
is_ours() {
  local command_line
  command_line=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  grep -qF -e "$STATE/" -e "$ROOT/packages/" <<<"$command_line"
}

# stop_pid FILE SECONDS: SIGTERM to the process FILE names, SIGKILL after SECONDS; removes FILE.
stop_pid() {
  local file=$1 seconds=$2 pid
  [ -s "$file" ] || { rm -f "$file"; return 0; }
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null && ! is_ours "$pid"; then
    say "pid $pid of $(basename "$file" .pid) is no process of this cluster now: left alone"
  elif kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + seconds))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "pid $pid ($(basename "$file" .pid)) did not stop within $seconds s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
  rm -f "$file"
}

# A random secret of 48 bytes, base64url without padding (64 characters: nothing a shell or sed quotes).
random_secret() { openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n'; }

# render TEMPLATE OUT KEY=VALUE...: copies TEMPLATE to OUT with every @KEY@ replaced by VALUE
# (values must not contain `|`, which the generated ones never do).
render() {
  local template=$1 out=$2 expression=()
  shift 2
  local pair
  for pair in "$@"; do expression+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
  sed "${expression[@]}" "$template" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then die "render: $out still has a placeholder: $(grep -o '@[A-Z_]*@' "$out" | head -1)"; fi
}
