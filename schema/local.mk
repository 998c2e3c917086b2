# schema: the embedded Schema Registry (model and files, REST layer,
# normalisation, compatibility rules).
libkelpcore_la_SOURCES += \
	schema/registry.c schema/registry.h \
	schema/registry_http.c schema/registry_http.h \
	schema/normalize.c schema/normalize.h \
	schema/references.c schema/references.h \
	schema/compatibility.c schema/compatibility.h \
	schema/compatibility_json.c schema/compatibility_json.h
libkelpcore_la_CFLAGS += $(AVRO_CFLAGS)
libkelpcore_la_LIBADD += $(AVRO_LIBS)

# Broker-side validation of schematized records; JSON Schema and Protobuf
# are C++ behind C APIs. libstdc++ is named so that the C-linked users of
# libkelpcore (kelp.la, the unit tests) get it through libtool.
libkelpcore_la_SOURCES += \
	schema/wire_format.c schema/wire_format.h \
	schema/record_validator.c schema/record_validator.h \
	schema/avro_binary.c schema/avro_binary.h \
	schema/validate_avro.c schema/validate_avro.h \
	schema/validate_json.cc schema/validate_json.h \
	schema/validate_protobuf.cc schema/validate_protobuf.h \
	schema/protobuf_parse.h \
	schema/compatibility_protobuf.cc schema/compatibility_protobuf.h
libkelpcore_la_CXXFLAGS = $(KELP_CXXFLAGS) -pthread -fvisibility=hidden $(PROTOBUF_CFLAGS)
libkelpcore_la_LIBADD += $(PROTOC_LIBS) $(PROTOBUF_LIBS) -lstdc++
# Linked as C: libtool's C++ mode would drop -lstdc++ from the library's
# dependency_libs, and the C programs linking it need it there.
libkelpcore_la_LINK = $(LIBTOOL) $(AM_V_lt) --tag=CC $(AM_LIBTOOLFLAGS) $(LIBTOOLFLAGS) --mode=link $(CCLD) \
	$(libkelpcore_la_CFLAGS) $(CFLAGS) $(libkelpcore_la_LDFLAGS) $(LDFLAGS) -o $@

check_PROGRAMS += t/unit/test_schema_registry
TESTS += t/unit/test_schema_registry
t_unit_test_schema_registry_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_schema_registry_LDADD = $(UNIT_LDADD) $(AVRO_LIBS)

check_PROGRAMS += t/unit/test_schema_validation
TESTS += t/unit/test_schema_validation
t_unit_test_schema_validation_SOURCES = t/unit/test_schema_validation.c t/unit/batch_builder.c t/unit/batch_builder.h
t_unit_test_schema_validation_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_schema_validation_LDADD = $(UNIT_LDADD) $(AVRO_LIBS)


check_PROGRAMS += t/unit/test_schema_compat_json
TESTS += t/unit/test_schema_compat_json
t_unit_test_schema_compat_json_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_schema_compat_json_LDADD = $(UNIT_LDADD) $(AVRO_LIBS)

check_PROGRAMS += t/unit/test_schema_compat_protobuf
TESTS += t/unit/test_schema_compat_protobuf
t_unit_test_schema_compat_protobuf_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_schema_compat_protobuf_LDADD = $(UNIT_LDADD) $(AVRO_LIBS)
