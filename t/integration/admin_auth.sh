#!/bin/sh
# "admin_auth": the admin endpoint and the schema registry ask for a bearer
# token or a Basic user and serve HTTPS. Without (or with wrong) credentials
# every route answers 401 with WWW-Authenticate and changes nothing; GET
# /healthz stays open. curl checks HTTPS against a throwaway CA (plain HTTP
# refused), confluent-kafka-python's SchemaRegistryClient logs in with
# basic.auth.user.info, and credentials and certificates changed with PUT
# /v1/config apply from the next request on.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_require curl curl
kelp_require openssl openssl
kelp_python_require confluent_kafka.schema_registry "python3-confluent-kafka python3-requests"
[ "$KELP_TEST_SERVER" != mock ] || kelp_fail "the mock cluster has no admin endpoint"

TOKEN=first-admin-token-0123456789
TOKEN2=second-admin-token-9876543210
USER=ops
PASS=s3cret-pass
PKI="$KELP_WORK/pki"
mkdir -p "$PKI"

# make_pki NAME: a CA NAME-ca.pem and a server certificate NAME.pem / NAME.key
# for 127.0.0.1 and localhost, signed by it.
make_pki() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kelp test CA $1" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$PKI/$1-ca.key" -out "$PKI/$1-ca.pem" 2>"$PKI/openssl.err" &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
            -keyout "$PKI/$1.key" -out "$PKI/$1.csr" 2>>"$PKI/openssl.err" &&
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
            >"$PKI/$1.ext" &&
        openssl x509 -req -days 2 -in "$PKI/$1.csr" -CA "$PKI/$1-ca.pem" -CAkey "$PKI/$1-ca.key" \
            -CAcreateserial -extfile "$PKI/$1.ext" -out "$PKI/$1.pem" 2>>"$PKI/openssl.err" ||
        kelp_fail "openssl could not make the test certificates: $(cat "$PKI/openssl.err")"
}
make_pki one
make_pki two
make_pki three

# req URL-BASE METHOD PATH [CURL-ARGS...]: prints the status ("000" when no
# HTTP answer came), keeps the body and headers in $KELP_WORK/body, .../headers.
req() {
    base=$1 method=$2 path=$3
    shift 3
    curl -s -o "$KELP_WORK/body" -D "$KELP_WORK/headers" -w '%{http_code}' --max-time 20 -X "$method" "$@" \
        "$base$path"
}
CA="$PKI/one-ca.pem"
admin() { req "https://$KELP_ADMIN" "$@" --cacert "$CA"; }
registry() { req "https://$KELP_SCHEMA_REGISTRY" "$@" --cacert "$CA"; }
# json BODY: curl arguments sending BODY as JSON, through a file so that it
# survives word splitting (each request is sent before the next is written).
json() {
    printf '%s' "$1" >"$KELP_WORK/request.json"
    printf '%s\n' -HContent-Type:application/json --data-binary "@$KELP_WORK/request.json"
}
BEARER="Authorization: Bearer $TOKEN"

# expect STATUS WHAT COMMAND...
expect() {
    want=$1 what=$2
    shift 2
    got=$("$@")
    [ "$got" = "$want" ] || kelp_fail "$what: status $got, expected $want; body: $(cat "$KELP_WORK/body" 2>/dev/null)"
}

# expect_401 WHAT COMMAND...: refused, with both challenges and a JSON error.
expect_401() {
    expect 401 "$@"
    grep -qi '^WWW-Authenticate: Bearer realm="kelp"' "$KELP_WORK/headers" || kelp_fail "$1: no Bearer challenge"
    grep -qi '^WWW-Authenticate: Basic realm="kelp"' "$KELP_WORK/headers" || kelp_fail "$1: no Basic challenge"
}

cat >"$KELP_WORK/kelp.json" <<JSON
{"schema_registry": "127.0.0.1:0", "default_partitions": 3,
 "admin_auth": {"bearer_token": "$TOKEN", "basic_users": {"$USER": "$PASS"},
                "ssl_certificate": "$PKI/one.pem", "ssl_key": "$PKI/one.key"}}
JSON
KELP_CONFIG="$KELP_WORK/kelp.json"

# A key that is not the certificate's stops kelpd at start, naming the key.
sed "s#$PKI/one.key#$PKI/two.key#" "$KELP_CONFIG" >"$KELP_WORK/bad.json"
status=0
"$KELPD" --module "$KELP_MODULE" --config "$KELP_WORK/bad.json" --listen 127.0.0.1:0 --admin 127.0.0.1:0 \
    --data "$KELP_WORK/bad-data" >"$KELP_WORK/bad.out" 2>"$KELP_WORK/bad.err" </dev/null || status=$?
[ "$status" = 2 ] || kelp_fail "kelpd with a mismatched key exited with $status, expected 2"
grep -q 'admin_auth.ssl_key' "$KELP_WORK/bad.err" || kelp_fail "no message naming admin_auth.ssl_key: $(cat "$KELP_WORK/bad.err")"
kelp_log "a mismatched key is refused at start: $(cat "$KELP_WORK/bad.err")"

kelp_start
[ -n "$KELP_ADMIN" ] && [ -n "$KELP_SCHEMA_REGISTRY" ] || kelp_fail "kelpd printed no admin or schema registry address"

# HTTPS only, verified against the test CA.
expect 000 "plain HTTP on the admin endpoint" req "http://$KELP_ADMIN" GET /healthz
expect 000 "plain HTTP on the schema registry" req "http://$KELP_SCHEMA_REGISTRY" GET /subjects
expect 000 "HTTPS with another CA" req "https://$KELP_ADMIN" GET /healthz --cacert "$PKI/two-ca.pem"
expect 200 "GET /healthz (open)" admin GET /healthz
grep -qF '{"status":"ok"}' "$KELP_WORK/body" || kelp_fail "healthz body: $(cat "$KELP_WORK/body")"
kelp_log "HTTPS verified with --cacert; plain HTTP and another CA refused; /healthz open"

expect 200 "GET /v1/config with the token" admin GET /v1/config -H "$BEARER"
cp "$KELP_WORK/body" "$KELP_WORK/config.before"
grep -q '"default_partitions":3' "$KELP_WORK/body" || kelp_fail "config: $(cat "$KELP_WORK/body")"
! grep -qe "$TOKEN" -e "$PASS" "$KELP_WORK/body" || kelp_fail "GET /v1/config shows a secret"
expect 200 "GET /v1/config with Basic" admin GET /v1/config -u "$USER:$PASS"
cmp -s "$KELP_WORK/body" "$KELP_WORK/config.before" || kelp_fail "Basic and Bearer see other configs"
expect 200 "GET /v1/topics with Basic" admin GET /v1/topics -u "$USER:$PASS"
kelp_log "the token and the Basic user are accepted"

# Every route, with no, wrong or misplaced credentials.
put_body='{"default_partitions": 7, "admin_auth": {"bearer_token": "", "basic_users": {}}}'
for creds in none wrong-token wrong-password unknown-user token-as-password user-as-token; do
    case $creds in
    none) set -- ;;
    wrong-token) set -- -H "Authorization: Bearer $TOKEN2" ;;
    wrong-password) set -- -u "$USER:not-$PASS" ;;
    unknown-user) set -- -u "root:$PASS" ;;
    token-as-password) set -- -u "$USER:$TOKEN" ;;
    user-as-token) set -- -H "Authorization: Bearer $PASS" ;;
    esac
    expect_401 "GET /v1/config ($creds)" admin GET /v1/config "$@"
    grep -q '"error"' "$KELP_WORK/body" || kelp_fail "401 body: $(cat "$KELP_WORK/body")"
    expect_401 "PUT /v1/config ($creds)" admin PUT /v1/config $(json "$put_body") "$@"
    expect_401 "GET /v1/topics ($creds)" admin GET /v1/topics "$@"
    expect_401 "POST /v1/topics ($creds)" admin POST /v1/topics $(json '{"name":"sneaky"}') "$@"
    expect_401 "GET /v1/topics/<name> ($creds)" admin GET /v1/topics/sneaky "$@"
    expect_401 "DELETE /v1/topics/<name> ($creds)" admin DELETE /v1/topics/sneaky "$@"
    expect_401 "GET /v1/groups ($creds)" admin GET /v1/groups "$@"
    expect_401 "GET /v1/groups/<id> ($creds)" admin GET /v1/groups/g "$@"
    expect_401 "an unknown path ($creds)" admin GET /v1/nowhere "$@"
    expect_401 "schema registry GET /subjects ($creds)" registry GET /subjects "$@"
    expect_401 "schema registry POST ($creds)" registry POST /subjects/sneaky-value/versions \
        -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data-binary '{"schema": "\"string\""}' "$@"
    grep -qF '{"error_code":40101,"message":"Unauthorized"}' "$KELP_WORK/body" ||
        kelp_fail "schema registry 401 body: $(cat "$KELP_WORK/body")"
    expect_401 "schema registry PUT /config ($creds)" registry PUT /config \
        -H 'Content-Type: application/json' --data-binary '{"compatibility": "NONE"}' "$@"
done
kelp_log "no credentials, wrong ones and misplaced ones get 401 on every route"

# Nothing of that changed anything.
expect 200 "GET /v1/config after refused PUTs" admin GET /v1/config -H "$BEARER"
cmp -s "$KELP_WORK/body" "$KELP_WORK/config.before" || kelp_fail "a refused PUT changed the config: $(cat "$KELP_WORK/body")"
expect_401 "still protected after refused PUTs" admin GET /v1/config
expect 404 "the refused topic does not exist" admin GET /v1/topics/sneaky -H "$BEARER"
expect 200 "schema registry subjects with Basic" registry GET /subjects -u "$USER:$PASS"
[ "$(cat "$KELP_WORK/body")" = '[]' ] || kelp_fail "a refused POST registered a subject: $(cat "$KELP_WORK/body")"
expect 200 "schema registry config with the token" registry GET /config -H "$BEARER"
! grep -q NONE "$KELP_WORK/body" || kelp_fail "a refused PUT /config changed the level: $(cat "$KELP_WORK/body")"
kelp_log "refused requests changed nothing"

# With credentials, the routes that change things work.
expect 201 "POST /v1/topics with the token" admin POST /v1/topics $(json '{"name":"guarded","partitions":2}') -H "$BEARER"
expect 401 "DELETE without credentials" admin DELETE /v1/topics/guarded
expect 200 "the topic survived it" admin GET /v1/topics/guarded -u "$USER:$PASS"
expect 200 "DELETE with Basic" admin DELETE /v1/topics/guarded -u "$USER:$PASS"
expect 404 "the topic is gone" admin GET /v1/topics/guarded -H "$BEARER"
expect 200 "PUT /v1/config with the token" admin PUT /v1/config $(json '{"default_partitions": 5}') -H "$BEARER"
grep -q '"default_partitions":5' "$KELP_WORK/body" || kelp_fail "PUT reply: $(cat "$KELP_WORK/body")"
kelp_log "topics and config change with credentials"

# confluent-kafka-python's SchemaRegistryClient over HTTPS.
cat >"$KELP_WORK/sr.py" <<'PY'
import os
import sys
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

# requests lets these override the client's ssl.ca.location.
for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(name, None)
from confluent_kafka.schema_registry.error import SchemaRegistryError

url, ca, userinfo, subject = sys.argv[1:5]
good = SchemaRegistryClient({"url": url, "ssl.ca.location": ca, "basic.auth.user.info": userinfo})
schema = Schema('{"type":"record","name":"Guarded","fields":[{"name":"f","type":"string"}]}', "AVRO")
sid = good.register_schema(subject, schema)
assert subject in good.get_subjects(), good.get_subjects()
assert good.get_latest_version(subject).schema_id == sid

for conf in ({"url": url, "ssl.ca.location": ca},
             {"url": url, "ssl.ca.location": ca, "basic.auth.user.info": userinfo + "-wrong"}):
    try:
        SchemaRegistryClient(conf).register_schema(subject + "-x", schema)
    except SchemaRegistryError as e:
        assert e.http_status_code == 401 and e.error_code == 40101, (e.http_status_code, e.error_code)
    else:
        sys.exit("registered without the right credentials")
assert subject + "-x" not in good.get_subjects()
print("schema id", sid)
PY
kelp_run "SchemaRegistryClient with basic.auth.user.info" "$KELP_PYTHON" "$KELP_WORK/sr.py" \
    "https://$KELP_SCHEMA_REGISTRY" "$CA" "$USER:$PASS" guarded-value

# Rotation at run time: each change applies from the next request on.
expect 200 "rotate the token" admin PUT /v1/config $(json "{\"admin_auth\": {\"bearer_token\": \"$TOKEN2\"}}") -H "$BEARER"
expect_401 "the old token after rotation" admin GET /v1/config -H "$BEARER"
expect_401 "the old token on the schema registry" registry GET /subjects -H "$BEARER"
BEARER="Authorization: Bearer $TOKEN2"
expect 200 "the new token" admin GET /v1/config -H "$BEARER"
expect 200 "the new token on the schema registry" registry GET /subjects -H "$BEARER"
expect 200 "the Basic user is unchanged" admin GET /v1/config -u "$USER:$PASS"
expect 200 "replace the Basic users" admin PUT /v1/config \
    $(json '{"admin_auth": {"basic_users": {"auditor": "another-pass"}}}') -H "$BEARER"
expect_401 "the removed user" admin GET /v1/config -u "$USER:$PASS"
expect_401 "the removed user on the schema registry" registry GET /subjects -u "$USER:$PASS"
expect 200 "the new user" admin GET /v1/config -u auditor:another-pass
expect 200 "the new user on the schema registry" registry GET /subjects -u auditor:another-pass
USER=auditor PASS=another-pass
kelp_log "token and Basic users rotated at run time"

# A key that does not fit is refused and changes nothing.
expect 400 "a mismatched key" admin PUT /v1/config \
    $(json "{\"default_partitions\": 9, \"admin_auth\": {\"ssl_certificate\": \"$PKI/two.pem\", \"ssl_key\": \"$PKI/one.key\"}}") \
    -H "$BEARER"
grep -q 'admin_auth.ssl_key' "$KELP_WORK/body" || kelp_fail "refusal does not name the key: $(cat "$KELP_WORK/body")"
expect 200 "the old certificate still serves" admin GET /v1/config -H "$BEARER"
grep -q '"default_partitions":5' "$KELP_WORK/body" || kelp_fail "a refused certificate changed the config"

# Another certificate: both endpoints restart on their sockets with it.
expect 200 "switch the certificate" admin PUT /v1/config \
    $(json "{\"admin_auth\": {\"ssl_certificate\": \"$PKI/two.pem\", \"ssl_key\": \"$PKI/two.key\"}}") -H "$BEARER"
expect 000 "the old CA after the switch" admin GET /healthz
CA="$PKI/two-ca.pem"
expect 200 "the new certificate" admin GET /v1/config -H "$BEARER"
expect 200 "the new certificate on the schema registry" registry GET /subjects -u "$USER:$PASS"
grep -q guarded-value "$KELP_WORK/body" || kelp_fail "subjects after the switch: $(cat "$KELP_WORK/body")"
# Renewed files at the same paths are picked up by the next reconfiguration.
cp "$PKI/three.pem" "$PKI/two.pem" && cp "$PKI/three.key" "$PKI/two.key" || kelp_fail "cannot replace the files"
expect 200 "reconfigure with renewed files" admin PUT /v1/config $(json '{}') -H "$BEARER"
CA="$PKI/three-ca.pem"
expect 200 "the renewed certificate" admin GET /v1/config -H "$BEARER"
expect 200 "the renewed certificate on the schema registry" registry GET /subjects -H "$BEARER"
kelp_log "certificates switched at run time"

# Back to plain HTTP and no credentials.
expect 200 "drop HTTPS and credentials" admin PUT /v1/config \
    $(json '{"admin_auth": {"bearer_token": "", "basic_users": {}, "ssl_certificate": "", "ssl_key": ""}}') -H "$BEARER"
expect 200 "plain HTTP without credentials" req "http://$KELP_ADMIN" GET /v1/config
expect 200 "plain schema registry without credentials" req "http://$KELP_SCHEMA_REGISTRY" GET /subjects
kelp_log "admin_auth turned off at run time"

kelp_stop
kelp_log PASS
