#!/bin/sh
# ACLs and the authorizer on a SASL_PLAINTEXT listener: DescribeAcls,
# CreateAcls and DeleteAcls on the wire and through kafka-python; alice
# refused a produce without WRITE (kcat, confluent-kafka, kafka-python) and
# nothing of it stored; WRITE lets her; a group consume without READ on the
# group; cluster operations; DENY over ALLOW; prefixed ACLs; transactional
# ids; ACLs kept across a restart; SECURITY_DISABLED with the authorizer off.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/lib.sh"

kelp_python_require confluent_kafka python3-confluent-kafka
kelp_python_require kafka python3-kafka
kelp_require kcat kcat
client="$KELP_SRCDIR/t/integration/acl.py"

KELP_CONFIG="$KELP_WORK/acl.json"
cat >"$KELP_CONFIG" <<'JSON'
{"security": {"listener": "SASL_PLAINTEXT",
              "sasl_mechanisms": ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
              "super_users": ["admin"],
              "authorizer": true,
              "users": {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}}}
JSON
export KELP_CONFIG

kelp_start
kelp_run "DescribeAcls, CreateAcls, DeleteAcls v1-3 on the wire" "$KELP_PYTHON" "$client" wire "$KELP_BOOTSTRAP"
kelp_run "kafka-python creates, describes, deletes ACLs" "$KELP_PYTHON" "$client" admin "$KELP_BOOTSTRAP"
kelp_run "alice without WRITE: every client refused" "$KELP_PYTHON" "$client" produce "$KELP_BOOTSTRAP"
if [ "$KELP_TEST_STORAGE" != filer ]; then
    kelp_run "no record of the refused produces in the log files" "$KELP_PYTHON" "$client" no-records "$KELP_DATA" secure
fi
kelp_run "alice with WRITE: every client produces" "$KELP_PYTHON" "$client" produce-granted "$KELP_BOOTSTRAP"
kelp_run "READ on the topic but not the group" "$KELP_PYTHON" "$client" group "$KELP_BOOTSTRAP"
kelp_run "cluster operations without cluster ACLs" "$KELP_PYTHON" "$client" cluster "$KELP_BOOTSTRAP"
kelp_run "a DENY overrides an ALLOW" "$KELP_PYTHON" "$client" deny "$KELP_BOOTSTRAP"
kelp_run "prefixed ACLs" "$KELP_PYTHON" "$client" prefixed "$KELP_BOOTSTRAP"
kelp_run "transactional ids" "$KELP_PYTHON" "$client" txn "$KELP_BOOTSTRAP"
kelp_run "the ACL file" "$KELP_PYTHON" "$client" acl-file "$KELP_DATA"
kelp_restart
kelp_run "ACLs kept across a restart" "$KELP_PYTHON" "$client" after-restart "$KELP_BOOTSTRAP"

# Without the authorizer: SECURITY_DISABLED, and everyone may do everything.
KELP_CONFIG="$KELP_WORK/acl-off.json"
cat >"$KELP_CONFIG" <<'JSON'
{"security": {"listener": "SASL_PLAINTEXT",
              "super_users": ["admin"],
              "users": {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}}}
JSON
kelp_restart
kelp_run "SECURITY_DISABLED without the authorizer" "$KELP_PYTHON" "$client" wire-disabled "$KELP_BOOTSTRAP"
kelp_log PASS
