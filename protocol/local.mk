# protocol: wire primitives, error codes and the message codec generated from
# Kafka's JSON schemas (protocol/gen/regenerate.sh rewrites protocol/generated/).
include $(srcdir)/protocol/generated/generated.mk

libkelpcore_la_SOURCES += \
	protocol/wire.c protocol/wire.h \
	protocol/kafka_errors.c protocol/kafka_errors.h \
	$(GENERATED_CODEC_SOURCES)

EXTRA_DIST += protocol/gen/kafka_codegen.py protocol/gen/regenerate.sh

check_PROGRAMS += t/unit/test_wire t/unit/test_codec_roundtrip t/unit/test_codec_vectors
TESTS += t/unit/test_wire t/unit/test_codec_roundtrip t/unit/test_codec_vectors
t_unit_test_wire_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_wire_LDADD = $(UNIT_LDADD)
t_unit_test_codec_roundtrip_CFLAGS = $(UNIT_CFLAGS) -O0
t_unit_test_codec_roundtrip_LDADD = $(UNIT_LDADD)
t_unit_test_codec_vectors_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_codec_vectors_LDADD = $(UNIT_LDADD)
