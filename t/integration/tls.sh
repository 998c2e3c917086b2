#!/bin/sh
# TLS listeners: SSL with client certificates (required, then requested,
# then as the principals of ACLs) and SASL_SSL with every mechanism, each driven by confluent-kafka,
# kafka-python and kcat; refused connections (no certificate, another CA's
# certificate, plaintext); the certificate replaced at run time.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
kelp_python_require kafka python3-kafka
kelp_require kcat kcat
kelp_require openssl openssl
kelp_require curl curl

KELP_TLS_DIR="$KELP_WORK/tls"
export KELP_TLS_DIR
mkdir -p "$KELP_TLS_DIR"

# A CA, the server's certificates (for 127.0.0.1 and localhost) signed by
# it, a client certificate for alice, and a rogue CA with its own client.
make_ca() { # NAME SUBJECT
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "$2" \
        -keyout "$KELP_TLS_DIR/$1.key" -out "$KELP_TLS_DIR/$1.pem" 2>/dev/null ||
        kelp_fail "openssl cannot make the CA $1"
}
make_cert() { # NAME SUBJECT CA [SAN]
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$KELP_TLS_DIR/$1.key" \
        -out "$KELP_TLS_DIR/$1.csr" 2>/dev/null || kelp_fail "openssl cannot make the request $1"
    printf '%s\n' "${4:-extendedKeyUsage=clientAuth}" >"$KELP_TLS_DIR/$1.ext"
    openssl x509 -req -in "$KELP_TLS_DIR/$1.csr" -CA "$KELP_TLS_DIR/$3.pem" -CAkey "$KELP_TLS_DIR/$3.key" \
        -CAcreateserial -days 2 -extfile "$KELP_TLS_DIR/$1.ext" -out "$KELP_TLS_DIR/$1.pem" 2>/dev/null ||
        kelp_fail "openssl cannot sign $1"
}
make_ca ca "/CN=Kelp Test CA"
make_ca rogue-ca "/CN=Rogue CA"
make_cert server "/CN=server-one" ca "subjectAltName=IP:127.0.0.1,DNS:localhost"
make_cert server2 "/CN=server-two" ca "subjectAltName=IP:127.0.0.1,DNS:localhost"
make_cert alice "/O=Kelp Test/CN=alice" ca
make_cert bob "/O=Kelp Test/CN=bob" ca
make_cert admin "/O=Kelp Test/CN=admin" ca
make_cert rogue "/CN=mallory" rogue-ca
client="$KELP_SRCDIR/t/integration/tls.py"
sasl_client="$KELP_SRCDIR/t/integration/sasl.py"

KELP_CONFIG="$KELP_WORK/tls.json"
cat >"$KELP_CONFIG" <<JSON
{"security": {"listener": "SSL", "ssl_certificate": "$KELP_TLS_DIR/server.pem",
              "ssl_key": "$KELP_TLS_DIR/server.key", "ssl_ca": "$KELP_TLS_DIR/ca.pem",
              "ssl_client_auth": "required"}}
JSON
export KELP_CONFIG

kelp_start
kelp_run "SSL, client certificate required: three clients" "$KELP_PYTHON" "$client" clients "$KELP_BOOTSTRAP"
kelp_run "SSL, client certificate required: refusals" "$KELP_PYTHON" "$client" refused "$KELP_BOOTSTRAP" required
subject=$("$KELP_PYTHON" "$client" subject "$KELP_BOOTSTRAP") || kelp_fail "no TLS handshake"
[ "$subject" = server-one ] || kelp_fail "the listener serves $subject, not server-one"

# A broken certificate path is refused and changes nothing.
status=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
    --data "{\"security\":{\"ssl_certificate\":\"$KELP_TLS_DIR/missing.pem\"}}" "http://$KELP_ADMIN/v1/config")
[ "$status" = 400 ] || kelp_fail "a missing certificate file was answered $status, not 400"
subject=$("$KELP_PYTHON" "$client" subject "$KELP_BOOTSTRAP") || kelp_fail "no TLS handshake after a refused change"
[ "$subject" = server-one ] || kelp_fail "a refused change replaced the certificate"

# A renewed certificate serves new connections; client certificates become optional.
kelp_run "certificate replaced at run time" curl -sf -X PUT --data \
    "{\"security\":{\"ssl_certificate\":\"$KELP_TLS_DIR/server2.pem\",\"ssl_key\":\"$KELP_TLS_DIR/server2.key\",\"ssl_client_auth\":\"requested\"}}" \
    "http://$KELP_ADMIN/v1/config" -o /dev/null
subject=$("$KELP_PYTHON" "$client" subject "$KELP_BOOTSTRAP") || kelp_fail "no TLS handshake after the change"
[ "$subject" = server-two ] || kelp_fail "after the change the listener serves $subject, not server-two"
kelp_run "SSL, client certificate requested: refusals" "$KELP_PYTHON" "$client" refused "$KELP_BOOTSTRAP" requested
kelp_stop

# The authorizer sees a certificate's subject as the principal.
cat >"$KELP_CONFIG" <<JSON
{"security": {"listener": "SSL", "ssl_certificate": "$KELP_TLS_DIR/server.pem",
              "ssl_key": "$KELP_TLS_DIR/server.key", "ssl_ca": "$KELP_TLS_DIR/ca.pem",
              "ssl_client_auth": "required", "authorizer": true,
              "super_users": ["CN=admin,O=Kelp Test"]}}
JSON
kelp_start
kelp_run "ACLs on certificate subjects" "$KELP_PYTHON" "$client" acl "$KELP_BOOTSTRAP"
kelp_stop

# SASL_SSL: the SASL checks of sasl.sh, over TLS.
cat >"$KELP_CONFIG" <<JSON
{"security": {"listener": "SASL_SSL", "ssl_certificate": "$KELP_TLS_DIR/server.pem",
              "ssl_key": "$KELP_TLS_DIR/server.key",
              "sasl_mechanisms": ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
              "users": {"alice": "alice-secret", "a": "b"}}}
JSON
kelp_start
KELP_TLS_CA="$KELP_TLS_DIR/ca.pem"
export KELP_TLS_CA
kelp_run "SASL_SSL on the wire" "$KELP_PYTHON" "$sasl_client" wire "$KELP_BOOTSTRAP"
kelp_run "SASL_SSL confluent-kafka" "$KELP_PYTHON" "$sasl_client" confluent "$KELP_BOOTSTRAP"
kelp_run "SASL_SSL kafka-python" "$KELP_PYTHON" "$sasl_client" kafka-python "$KELP_BOOTSTRAP"
kelp_run "SASL_SSL kcat" "$KELP_PYTHON" "$sasl_client" kcat "$KELP_BOOTSTRAP"
kelp_restart
kelp_run "SASL_SSL after a restart" "$KELP_PYTHON" "$sasl_client" wire "$KELP_BOOTSTRAP"
kelp_log PASS
