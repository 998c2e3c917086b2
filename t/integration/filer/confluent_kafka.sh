#!/bin/sh
# t/integration/confluent_kafka.sh with kelpd's files on the filer test server.
KELP_TEST_STORAGE=filer
export KELP_TEST_STORAGE
exec sh "$(dirname "$0")/../confluent_kafka.sh"
