# shellcheck shell=bash
# The Debian packages the cluster runs on, installed when missing (a CI machine starts clean).

# Each needed command and the package that brings it. python3-etcd is Patroni's etcd client, which
# the patroni package may not pull in (it accepts any of several DCS clients).
declare -A PACKAGE_OF=([patroni]=patroni [etcd]=etcd-server [haproxy]=haproxy [socat]=socat [openssl]=openssl [curl]=curl [ss]=iproute2 [runuser]=util-linux)

ensure_packages() {
  local missing=() command
  for command in "${!PACKAGE_OF[@]}"; do command -v "$command" >/dev/null || missing+=("${PACKAGE_OF[$command]}"); done
  /usr/bin/python3 -c 'import etcd' 2>/dev/null || missing+=(python3-etcd)
  [ -x "$PG_BIN/postgres" ] || die "PostgreSQL binaries not found in $PG_BIN (install postgresql-15, or set PAYAPI_CLUSTER_PG_BIN)"
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  # Debian starts a package's service on install (etcd would take port 2379): a policy-rc.d that
  # refuses keeps them stopped. Only when none exists already, and removed again afterwards.
  local policy=/usr/sbin/policy-rc.d own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy" && own_policy=yes
  fi
  local status=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
  [ -z "$own_policy" ] || as_root rm -f "$policy"
  [ "$status" = 0 ] || die "apt-get install ${missing[*]} failed"
}
