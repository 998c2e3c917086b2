# t: integration tests that run real Kafka clients against a freshly started
# kelpd (t/integration/lib.sh starts and stops it), and the client programs
# they use. Unit tests are listed by the layer they test.

# Client programs built on librdkafka.
check_PROGRAMS += t/clients/produce_consume t/clients/mock_cluster t/clients/group_admin t/clients/group_consumer \
	t/clients/delete_records t/clients/txn_client t/clients/load_clients
t_clients_produce_consume_SOURCES = t/clients/produce_consume.c t/clients/client_util.c t/clients/client_util.h
t_clients_produce_consume_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_produce_consume_LDADD = $(RDKAFKA_LIBS)
t_clients_mock_cluster_SOURCES = t/clients/mock_cluster.c
t_clients_mock_cluster_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_mock_cluster_LDADD = $(RDKAFKA_LIBS)
t_clients_group_admin_SOURCES = t/clients/group_admin.c t/clients/client_util.c t/clients/client_util.h
t_clients_group_admin_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_group_admin_LDADD = $(RDKAFKA_LIBS)
t_clients_group_consumer_SOURCES = t/clients/group_consumer.c
t_clients_group_consumer_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_group_consumer_LDADD = $(RDKAFKA_LIBS)
t_clients_delete_records_SOURCES = t/clients/delete_records.c
t_clients_delete_records_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_delete_records_LDADD = $(RDKAFKA_LIBS)
t_clients_txn_client_SOURCES = t/clients/txn_client.c t/clients/client_util.c t/clients/client_util.h
t_clients_txn_client_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_txn_client_LDADD = $(RDKAFKA_LIBS)
t_clients_load_clients_SOURCES = t/clients/load_clients.c t/clients/client_util.c t/clients/client_util.h
t_clients_load_clients_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_load_clients_LDADD = $(RDKAFKA_LIBS) $(PTHREAD_LIBS)
check_PROGRAMS += t/integration/matrix/librdkafka
t_integration_matrix_librdkafka_SOURCES = t/integration/matrix/librdkafka.c
t_integration_matrix_librdkafka_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_integration_matrix_librdkafka_LDADD = $(RDKAFKA_LIBS)

# make install's layout (staged with DESTDIR) and kelpd's log formats.
TESTS += t/integration/install.sh t/integration/log_format.sh
EXTRA_DIST += t/integration/install.sh t/integration/log_format.sh

# Integration tests: each starts its own kelpd (t/integration/lib.sh).
TESTS += \
	t/integration/kcat.sh \
	t/integration/librdkafka.sh \
	t/integration/kafka_python.sh \
	t/integration/confluent_kafka.sh \
	t/integration/kafkajs.sh \
	t/integration/group_admin.sh \
	t/integration/group_librdkafka.sh \
	t/integration/group_kcat.sh \
	t/integration/group_kafka_python.sh \
	t/integration/group_confluent_kafka.sh \
	t/integration/group_kafkajs.sh \
	t/integration/group_sarama.sh \
	t/integration/group_static.sh \
	t/integration/topic_admin.sh \
	t/integration/topic_retention.sh \
	t/integration/topic_describe.sh \
	t/integration/txn_librdkafka.sh \
	t/integration/txn_confluent_kafka.sh \
	t/integration/txn_v2.sh \
	t/integration/idempotence.sh \
	t/filer/fake_filer.sh \
	t/integration/filer_faults.sh \
	t/integration/crash.sh \
	t/integration/filer_switch.sh \
	t/integration/filer_jwt.sh \
	t/integration/schema_registry.sh \
	t/integration/schema_validation.sh \
	t/integration/sasl.sh \
	t/integration/acl.sh \
	t/integration/admin_auth.sh \
	t/integration/console.sh \
	t/integration/admin_drain.sh \
	t/integration/admin_api.sh \
	t/integration/listeners.sh \
	t/integration/metrics.sh \
	t/integration/tls.sh \
	t/integration/api_versions.sh \
	t/integration/bad_input_load.sh \
	t/integration/load.sh \
	t/integration/matrix.sh

# The same client tests with kelpd's files on the filer test server.
FILER_TESTS = \
	t/integration/filer/kcat.sh \
	t/integration/filer/librdkafka.sh \
	t/integration/filer/kafka_python.sh \
	t/integration/filer/confluent_kafka.sh \
	t/integration/filer/kafkajs.sh \
	t/integration/filer/group_librdkafka.sh \
	t/integration/filer/txn_librdkafka.sh \
	t/integration/filer/txn_confluent_kafka.sh \
	t/integration/filer/txn_v2.sh \
	t/integration/filer/idempotence.sh \
	t/integration/filer/topic_admin.sh \
	t/integration/filer/topic_retention.sh \
	t/integration/filer/bad_input.sh \
	t/integration/filer/bad_input_load.sh \
	t/integration/filer/schema_registry.sh \
	t/integration/filer/schema_validation.sh \
	t/integration/filer/sasl.sh \
	t/integration/filer/acl.sh \
	t/integration/filer/admin_auth.sh \
	t/integration/filer/metrics.sh \
	t/integration/filer/matrix.sh \
	t/integration/filer/crash.sh
TESTS += $(FILER_TESTS)
EXTRA_DIST += $(FILER_TESTS)

EXTRA_DIST += \
	t/filer/fake_filer.sh t/filer/fake_filer.py t/filer/test_fake_filer.py \
	t/integration/filer_faults.sh t/integration/filer_faults.py t/integration/filer_switch.sh \
	t/integration/crash.sh t/integration/crash.py \
	t/integration/filer_jwt.sh \
	t/integration/schema_registry.sh t/integration/schema_registry.py \
	t/integration/schema_validation.sh t/integration/schema_validation.py \
	t/integration/sasl.sh t/integration/sasl.py \
	t/integration/acl.sh t/integration/acl.py \
	t/integration/admin_auth.sh \
	t/integration/console.sh t/integration/console.js \
	t/integration/admin_drain.sh t/integration/admin_drain.py \
	t/integration/admin_api.sh t/integration/admin_api.py admin/openapi.json \
	t/integration/listeners.sh t/integration/listeners.py \
	t/integration/metrics.sh t/integration/metrics_check.py \
	t/integration/tls.sh t/integration/tls.py \
	t/integration/bad_input_load.sh t/integration/bad_input_load.py \
	t/integration/load.sh \
	t/integration/api_versions.sh t/integration/api_table.py scripts/update-api-table.sh \
	t/integration/lib.sh \
	t/integration/kcat.sh \
	t/integration/kcat_client.py \
	t/integration/librdkafka.sh \
	t/integration/kafka_python.sh \
	t/integration/kafka_python.py \
	t/integration/confluent_kafka.sh \
	t/integration/confluent_kafka_client.py \
	t/integration/kelp_messages.py \
	t/integration/kafkajs.sh \
	t/integration/group_admin.sh \
	t/integration/group_lib.sh \
	t/integration/group_driver.py \
	t/integration/group_librdkafka.sh \
	t/integration/group_kcat.sh \
	t/integration/group_kcat.py \
	t/integration/group_kafka_python.sh \
	t/integration/group_kafka_python.py \
	t/integration/group_confluent_kafka.sh \
	t/integration/group_confluent_kafka.py \
	t/integration/group_kafkajs.sh \
	t/integration/kafkajs_lib.sh \
	t/integration/node/group_kafkajs.js \
	t/integration/group_sarama.sh \
	t/integration/sarama/group_sarama.go \
	t/integration/group_static.sh \
	t/integration/group_static.py \
	t/integration/topic_admin.sh \
	t/integration/topic_admin.py \
	t/integration/topic_retention.sh \
	t/integration/topic_retention.py \
	t/integration/topic_describe.sh \
	t/integration/topic_describe.py \
	t/integration/kafka_raw.py \
	t/integration/txn_librdkafka.sh \
	t/integration/txn_confluent_kafka.sh \
	t/integration/txn_confluent_kafka.py \
	t/integration/txn_v2.sh \
	t/integration/txn_v2.py \
	t/integration/idempotence.sh \
	t/integration/idempotence.py \
	t/integration/node/kafkajs_test.js \
	t/integration/node/package.json \
	t/integration/node/package-lock.json \
	t/integration/matrix.sh \
	t/integration/matrix/harness.py \
	t/integration/matrix/mx.py \
	t/integration/matrix/kcat.py \
	t/integration/matrix/kafka_python.py \
	t/integration/matrix/confluent_kafka_python.py \
	t/integration/matrix/sarama/main.go \
	t/integration/matrix/confluent_kafka_go/main.go \
	t/integration/matrix/mx.js \
	t/integration/matrix/kafkajs.js \
	t/integration/matrix/node_rdkafka.js

# The commands of the README and of CI travel with the source too.
EXTRA_DIST += \
	scripts/install-deps.sh \
	scripts/update-matrix.sh \
	scripts/test.sh \
	scripts/valgrind-test.sh \
	t/valgrind.supp \
	scripts/run.sh \
	.ci/run

