# schema: the embedded Schema Registry (model and files, REST layer,
# normalisation, compatibility rules).
libkelpcore_la_SOURCES += \
	schema/registry.c schema/registry.h \
	schema/registry_http.c schema/registry_http.h \
	schema/normalize.c schema/normalize.h \
	schema/compatibility.c schema/compatibility.h
libkelpcore_la_CFLAGS += $(AVRO_CFLAGS)
libkelpcore_la_LIBADD += $(AVRO_LIBS)

check_PROGRAMS += t/unit/test_schema_registry
TESTS += t/unit/test_schema_registry
t_unit_test_schema_registry_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_schema_registry_LDADD = $(UNIT_LDADD) $(AVRO_LIBS)

