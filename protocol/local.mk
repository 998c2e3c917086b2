# protocol: wire primitives, error codes and the message codec generated from
# Kafka's JSON schemas (protocol/gen/regenerate.sh rewrites protocol/generated/).
include $(srcdir)/protocol/generated/generated.mk

libkelpcore_la_SOURCES += \
	protocol/wire.c protocol/wire.h \
	protocol/kafka_errors.c protocol/kafka_errors.h \
	$(GENERATED_CODEC_SOURCES)

EXTRA_DIST += protocol/gen/kafka_codegen.py protocol/gen/regenerate.sh protocol/gen/kafka40_additions.json

check_PROGRAMS += t/unit/test_wire t/unit/test_codec_roundtrip t/unit/test_codec_vectors
TESTS += t/unit/test_wire t/unit/test_codec_roundtrip t/unit/test_codec_vectors
t_unit_test_wire_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_wire_LDADD = $(UNIT_LDADD)
t_unit_test_codec_roundtrip_CFLAGS = $(UNIT_CFLAGS) -O0
t_unit_test_codec_roundtrip_LDADD = $(UNIT_LDADD)
t_unit_test_codec_vectors_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_codec_vectors_LDADD = $(UNIT_LDADD)

# Byte vectors for every advertised API version, from
# t/unit/vectors/make_vectors.py (kept apart from protocol/gen on purpose).
check_PROGRAMS += t/unit/test_protocol_vectors
TESTS += t/unit/test_protocol_vectors
t_unit_test_protocol_vectors_CFLAGS = $(UNIT_CFLAGS) -O0
t_unit_test_protocol_vectors_LDADD = $(UNIT_LDADD)
EXTRA_DIST += t/unit/vectors/make_vectors.py t/unit/vectors/protocol_vectors.inc

# The advertised ranges against Kafka 4.0's.
check_PROGRAMS += t/unit/test_api_versions_kafka40
TESTS += t/unit/test_api_versions_kafka40
t_unit_test_api_versions_kafka40_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_api_versions_kafka40_LDADD = $(UNIT_LDADD)
