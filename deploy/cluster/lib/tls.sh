# shellcheck shell=bash
# A local certificate authority and the certificate HAProxy serves for localhost, made at every
# `up` with openssl (nothing is reused between clusters). Clients trust the CA through
# NODE_EXTRA_CA_CERTS=$STATE/tls/ca.crt (read by Node at start only), or curl --cacert.

make_certificates() {
  local dir="$STATE/tls"
  mkdir -p "$dir"
  (
    umask 077
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj '/CN=payapi local cluster CA' -addext 'basicConstraints=critical,CA:true' \
      -addext 'keyUsage=critical,keyCertSign,cRLSign' -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=localhost' \
      -keyout "$dir/localhost.key" -out "$dir/localhost.csr" 2>/dev/null
    printf '%s\n' 'basicConstraints=critical,CA:false' 'keyUsage=critical,digitalSignature' \
      'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost,IP:127.0.0.1' >"$dir/localhost.ext"
    openssl x509 -req -in "$dir/localhost.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
      -days 30 -extfile "$dir/localhost.ext" -out "$dir/localhost.crt" 2>/dev/null
    # HAProxy reads certificate and key from one file.
    cat "$dir/localhost.crt" "$dir/localhost.key" >"$dir/localhost.pem"
    rm -f "$dir/localhost.csr" "$dir/localhost.ext" "$dir/ca.srl"
  )
  chmod 644 "$dir/ca.crt"
  openssl verify -CAfile "$dir/ca.crt" "$dir/localhost.crt" >/dev/null || die "the certificate made for localhost does not verify"
}
