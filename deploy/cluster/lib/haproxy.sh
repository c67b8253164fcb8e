# shellcheck shell=bash
# HAProxy: configuration, start, stop, and its runtime API (admin socket) for status and restarts.

# error_page STATUS REASON DETAIL: an HTTP answer HAProxy sends itself (no instance ready, an
# instance that failed), as RFC 9457 problem+json like every error of the services.
error_page() {
  local status=$1 reason=$2 detail=$3 code body
  code=$(tr 'A-Z ' 'a-z_' <<<"$reason")
  body="{\"type\":\"about:blank\",\"title\":\"$reason\",\"status\":$status,\"detail\":\"$detail\",\"code\":\"$code\"}"
  printf 'HTTP/1.1 %s %s\r\nContent-Type: application/problem+json\r\nCache-Control: no-store\r\nRetry-After: 1\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
    "$status" "$reason" "${#body}" "$body"
}

configure_haproxy() {
  mkdir -p "$STATE/haproxy/errors"
  error_page 502 'Bad Gateway' 'the instance failed to answer: try again' >"$STATE/haproxy/errors/502.http"
  error_page 503 'Service Unavailable' 'no instance is ready: try again shortly' >"$STATE/haproxy/errors/503.http"
  error_page 504 'Gateway Timeout' 'the instance did not answer in time: try again' >"$STATE/haproxy/errors/504.http"
  render "$HERE/templates/haproxy.cfg" "$STATE/haproxy/haproxy.cfg" STATE="$STATE" \
    PORT_PG_PROXY="$PORT_PG_PROXY" PORT_PG1="${PORT_PG[pg1]}" PORT_PG2="${PORT_PG[pg2]}" \
    PORT_PATRONI1="${PORT_PATRONI[pg1]}" PORT_PATRONI2="${PORT_PATRONI[pg2]}" \
    PORT_AUTH_PUBLIC="$PORT_AUTH_PUBLIC" PORT_API_PUBLIC="$PORT_API_PUBLIC" PORT_HAPROXY_STATS="$PORT_HAPROXY_STATS" \
    PORT_AUTH1="${PORT_SERVICE[auth1]}" PORT_AUTH2="${PORT_SERVICE[auth2]}" PORT_API1="${PORT_SERVICE[api1]}" PORT_API2="${PORT_SERVICE[api2]}"
  haproxy -c -q -f "$STATE/haproxy/haproxy.cfg" || die "HAProxy refuses its configuration ($STATE/haproxy/haproxy.cfg)"
}

start_haproxy() {
  configure_haproxy
  launch haproxy "$STATE/logs/haproxy.log" haproxy -db -f "$STATE/haproxy/haproxy.cfg"
  wait_until 10 "HAProxy's admin socket" haproxy_command 'show info' || { tail -n 20 "$STATE/logs/haproxy.log" >&2; return 1; }
}

# haproxy_command COMMAND: one command on the runtime API; its answer on stdout.
haproxy_command() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$STATE/haproxy/admin.sock"; }

# server_field BACKEND SERVER COLUMN: one column of `show stat` (CSV) for a server, e.g. status, scur.
server_field() {
  haproxy_command 'show stat' | awk -F, -v backend="$1" -v server="$2" -v column="$3" '
    NR == 1 { for (i = 1; i <= NF; i++) { name = $i; sub(/^# /, "", name); index_of[name] = i } next }
    $1 == backend && $2 == server { print $(index_of[column]) }'
}

server_is() { [ "$(server_field "$1" "$2" status)" = "$3" ]; }

# The backends and their servers: status, current sessions, total, retries, redispatches.
haproxy_table() {
  haproxy_command 'show stat' | awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) { name = $i; sub(/^# /, "", name); c[name] = i }
              printf "  %-10s %-8s %-8s %6s %8s %8s %8s\n", "backend", "server", "status", "cur", "total", "retries", "redisp"; next }
    NF > 1 && $2 != "FRONTEND" && $1 != "stats" {
      printf "  %-10s %-8s %-8s %6s %8s %8s %8s\n", $c["pxname"], $c["svname"], $c["status"], $c["scur"], $c["stot"], $c["wretr"], $c["wredis"] }'
}
