#!/bin/sh
# For trying the stack on one machine: makes a local certificate authority (local-ca/ca.pem and
# its key) and, signed by it, HAProxy's certificate for the hosts of the four public URLs in .env
# (tls/certificate.pem: certificate and key in one file, as HAProxy reads it). Trust local-ca/ca.pem
# where you test from (`curl --cacert local-ca/ca.pem`); the services trust it through
# docker-compose.local-ca.yml. Keeps an existing CA; makes a new certificate on every run.
set -eu
cd "$(dirname "$0")"
[ -f .env ] || { echo "local-ca.sh: no .env here: run ./new-env.sh first" >&2; exit 1; }
hosts=""
for name in AUTH_ISSUER RESOURCE_API_URL PARTNER_DEMO_URL DEVELOPER_PORTAL_URL; do
  url=$(sed -n "s/^$name=//p" .env | tail -n 1)
  host=${url#https://}
  host=${host%%/*}
  host=${host%:*}
  [ -n "$host" ] || { echo "local-ca.sh: $name is not an https URL in .env" >&2; exit 1; }
  hosts="$hosts${hosts:+,}DNS:$host"
done
mkdir -p local-ca tls
if [ ! -f local-ca/ca.pem ]; then
  (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out local-ca/ca.key)
  openssl req -x509 -new -key local-ca/ca.key -sha256 -days 825 -subj "/CN=payapi local CA $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" -out local-ca/ca.pem
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/key.pem"
first=${hosts%%,*}
openssl req -new -key "$work/key.pem" -subj "/CN=${first#DNS:}" -out "$work/request.csr" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' "$hosts" >"$work/extensions"
openssl x509 -req -in "$work/request.csr" -CA local-ca/ca.pem -CAkey local-ca/ca.key -CAcreateserial -CAserial "$work/serial" \
  -days 397 -sha256 -extfile "$work/extensions" -out "$work/certificate.pem" 2>/dev/null
# HAProxy reads the file as its own unprivileged user: readable by all, as befits a local test key.
cat "$work/certificate.pem" "$work/key.pem" >tls/certificate.pem
chmod 644 tls/certificate.pem
echo "local-ca.sh: tls/certificate.pem for ${hosts}, signed by local-ca/ca.pem"
