# t: integration tests that run real Kafka clients against a freshly started
# kelpd (t/integration/lib.sh starts and stops it), and the client programs
# they use. Unit tests are listed by the layer they test.

# Client programs built on librdkafka.
check_PROGRAMS += t/clients/produce_consume t/clients/mock_cluster
t_clients_produce_consume_SOURCES = t/clients/produce_consume.c
t_clients_produce_consume_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_produce_consume_LDADD = $(RDKAFKA_LIBS)
t_clients_mock_cluster_SOURCES = t/clients/mock_cluster.c
t_clients_mock_cluster_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
t_clients_mock_cluster_LDADD = $(RDKAFKA_LIBS)
