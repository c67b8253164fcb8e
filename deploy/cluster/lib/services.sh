# shellcheck shell=bash
# The service instances: two authorization servers, two resource APIs, two webhook workers, each a
# production-mode Node process listening on 127.0.0.1 behind HAProxy.

declare -A ENTRY_OF=(
  [auth]=packages/services/auth-server/src/main.ts
  [api]=packages/services/resource-api/src/main.ts
  [worker]=packages/core/events/src/main.ts
)
# The HAProxy backend of each kind (the workers serve no HTTP).
declare -A BACKEND_OF=([auth]=auth [api]=api)

kind_of() { echo "${1%[0-9]}"; }

# Writes $STATE/env/INSTANCE.env (0600 from its creation, umask 077: it holds the database password
# and the keys): exactly the environment the instance starts with.
write_instance_env() {
  local instance=$1 kind
  kind=$(kind_of "$instance")
  (
    umask 077
    {
      printf '%s\n' NODE_ENV=production PAYAPI_ENVIRONMENT=live "LOG_LEVEL=${LOG_LEVEL:-warn}" \
        "DATABASE_URL=$SERVICE_DATABASE_URL" "AUTH_ISSUER=$ISSUER" "RESOURCE_API_URL=$API_URL" \
        "WEBHOOK_SECRETS_KEY=$WEBHOOK_SECRETS_KEY" "NODE_EXTRA_CA_CERTS=$STATE/tls/ca.crt" \
        "REDIS_URL=$REDIS_URL" "REDIS_KEY_PREFIX=$REDIS_KEY_PREFIX" "METRICS_PORT=${PORT_METRICS[$instance]}"
      case $kind in
        auth) printf '%s\n' "PORT=${PORT_SERVICE[$instance]}" LISTEN_ADDRESS=127.0.0.1 TRUST_PROXY_HOPS=1 \
                "AUTH_COOKIE_KEYS=$AUTH_COOKIE_KEYS" "AUTH_KEY_ENCRYPTION_SECRET=$AUTH_KEY_ENCRYPTION_SECRET" ;;
        # One proxy in front (HAProxy), so the per-address rate limit sees the caller's address. The fault
        # tests drive one client at full speed: its quota is raised above the live default (3000 a minute).
        api) printf '%s\n' "PORT=${PORT_SERVICE[$instance]}" LISTEN_ADDRESS=127.0.0.1 TRUST_PROXY_HOPS=1 \
               "RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE:-1000000}" ;;
      esac
    } >"$STATE/env/$instance.env"
  )
  chmod 600 "$STATE/env/$instance.env"
}

# start_instance INSTANCE: starts it with its env file and nothing else of this shell's environment.
start_instance() {
  local instance=$1 kind
  kind=$(kind_of "$instance")
  # shellcheck disable=SC2016 # the inner shell expands these
  launch "$instance" "$STATE/logs/$instance.log" env -i PATH="$PATH" HOME="${HOME:-/root}" \
    bash -c 'set -a; . "$0"; set +a; exec sh "$2" "$1"' "$STATE/env/$instance.env" "$ROOT/${ENTRY_OF[$kind]}" "$ROOT/scripts/run-service.sh"
}

# True when the instance is ready: its /readyz answers 200 on its own port (a worker: it runs).
instance_ready() {
  local instance=$1
  pid_alive "$STATE/run/$instance.pid" || return 1
  [ -z "${PORT_SERVICE[$instance]:-}" ] && return 0
  curl -fs -o /dev/null --max-time 3 "http://127.0.0.1:${PORT_SERVICE[$instance]}/readyz"
}

# wait_instance_ready INSTANCE: dies with the instance's last log lines when it exits or is not ready.
wait_instance_ready() {
  local instance=$1 deadline=$((SECONDS + 60))
  until instance_ready "$instance"; do
    if ! pid_alive "$STATE/run/$instance.pid" || [ "$SECONDS" -ge "$deadline" ]; then
      printf 'cluster: %s did not become ready; its last output:\n' "$instance" >&2
      tail -n 20 "$STATE/logs/$instance.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

start_services() {
  mkdir -p "$STATE/env"
  local instance
  for instance in "${INSTANCES[@]}"; do write_instance_env "$instance"; done
  # The authorization servers first: the resource API checks at start that schema auth is there
  # (migrated already by `db:migrate`, so this is only the documented order).
  for instance in auth1 auth2; do start_instance "$instance"; done
  for instance in auth1 auth2; do wait_instance_ready "$instance"; done
  for instance in api1 api2 worker1 worker2; do start_instance "$instance"; done
  for instance in api1 api2 worker1 worker2; do wait_instance_ready "$instance"; done
  # Workers: still running a moment later (a bad configuration ends them at once).
  sleep 1
  for instance in worker1 worker2; do wait_instance_ready "$instance"; done
}

# restart_instance INSTANCE: without failing a request. HAProxy stops sending it requests
# (maintenance) and its sessions end; SIGTERM lets the process finish what it has; the new process
# gets requests again once its /readyz answers and HAProxy's check sees it up.
restart_instance() {
  local instance=$1 kind backend
  kind=$(kind_of "$instance")
  backend=${BACKEND_OF[$kind]:-}
  if [ -n "$backend" ]; then
    haproxy_command "set server $backend/$instance state maint" >/dev/null
    wait_until 30 "$instance to finish its requests" server_sessions_are_zero "$backend" "$instance" || true
  fi
  stop_pid "$STATE/run/$instance.pid" 30
  start_instance "$instance"
  wait_instance_ready "$instance"
  if [ -n "$backend" ]; then
    haproxy_command "set server $backend/$instance state ready" >/dev/null
    wait_until 30 "HAProxy to see $instance up" server_is "$backend" "$instance" UP
  fi
  say "$instance restarted (pid $(cat "$STATE/run/$instance.pid"))"
}

server_sessions_are_zero() { [ "$(server_field "$1" "$2" scur)" = 0 ]; }

stop_services() {
  local instance stopping=()
  # All at once, each in a subshell of its own (`wait` for those only: etcd and Patroni, started
  # from this shell too, are its children as well).
  for instance in "${INSTANCES[@]}"; do
    stop_pid "$STATE/run/$instance.pid" 20 &
    stopping+=($!)
  done
  wait "${stopping[@]}"
}
