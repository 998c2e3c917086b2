# fuzz: libFuzzer targets, one input format each. With --enable-fuzzing
# (CC=clang) `make` builds fuzz/fuzz_<target>; every build has
# fuzz/replay_<target>, the same target under a plain main() that runs the
# committed corpus and the saved crashes as a `make check` test.
FUZZ_CFLAGS_COMMON = $(AM_CFLAGS) $(CJSON_CFLAGS)
FUZZ_LDADD = libkelpcore.la $(CJSON_LIBS) $(MHD_LIBS) $(OPENSSL_LIBS) $(PTHREAD_LIBS) \
	$(ZLIB_LIBS) $(SNAPPY_LIBS) $(LZ4_LIBS) $(ZSTD_LIBS) $(ISAL_LIBS) $(AVRO_LIBS) -lm

noinst_HEADERS += fuzz/fuzz_util.h fuzz/kafka_api_list.h
EXTRA_DIST += fuzz/corpus fuzz/crashes fuzz/make_corpus.c

check_PROGRAMS += fuzz/replay_request fuzz/replay_records fuzz/replay_config fuzz/replay_admin fuzz/replay_schema
TESTS += fuzz/replay_request fuzz/replay_records fuzz/replay_config fuzz/replay_admin fuzz/replay_schema

fuzz_replay_request_SOURCES = fuzz/fuzz_request.c fuzz/replay_main.c
fuzz_replay_request_CFLAGS = $(FUZZ_CFLAGS_COMMON) -DFUZZ_TARGET='"request"'
fuzz_replay_request_LDADD = $(FUZZ_LDADD)
fuzz_replay_records_SOURCES = fuzz/fuzz_records.c fuzz/replay_main.c
fuzz_replay_records_CFLAGS = $(FUZZ_CFLAGS_COMMON) -DFUZZ_TARGET='"records"'
fuzz_replay_records_LDADD = $(FUZZ_LDADD)
fuzz_replay_config_SOURCES = fuzz/fuzz_config.c fuzz/replay_main.c
fuzz_replay_config_CFLAGS = $(FUZZ_CFLAGS_COMMON) -DFUZZ_TARGET='"config"'
fuzz_replay_config_LDADD = $(FUZZ_LDADD)
fuzz_replay_admin_SOURCES = fuzz/fuzz_admin.c fuzz/replay_main.c
fuzz_replay_admin_CFLAGS = $(FUZZ_CFLAGS_COMMON) -DFUZZ_TARGET='"admin"'
fuzz_replay_admin_LDADD = $(FUZZ_LDADD)
fuzz_replay_schema_SOURCES = fuzz/fuzz_schema.c fuzz/replay_main.c
fuzz_replay_schema_CFLAGS = $(FUZZ_CFLAGS_COMMON) -DFUZZ_TARGET='"schema"'
fuzz_replay_schema_LDADD = $(FUZZ_LDADD)

# Writes the generated part of the corpus (valid requests and responses of
# every API at several versions, record batches) into a directory.
check_PROGRAMS += fuzz/make_corpus
fuzz_make_corpus_SOURCES = fuzz/make_corpus.c t/unit/batch_builder.c t/unit/batch_builder.h
fuzz_make_corpus_CFLAGS = $(FUZZ_CFLAGS_COMMON)
fuzz_make_corpus_LDADD = $(FUZZ_LDADD)

if KELP_FUZZING
noinst_PROGRAMS = fuzz/fuzz_request fuzz/fuzz_records fuzz/fuzz_config fuzz/fuzz_admin fuzz/fuzz_schema
fuzz_fuzz_request_SOURCES = fuzz/fuzz_request.c
fuzz_fuzz_request_CFLAGS = $(FUZZ_CFLAGS_COMMON)
fuzz_fuzz_request_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_request_LDADD = $(FUZZ_LDADD)
fuzz_fuzz_records_SOURCES = fuzz/fuzz_records.c
fuzz_fuzz_records_CFLAGS = $(FUZZ_CFLAGS_COMMON)
fuzz_fuzz_records_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_records_LDADD = $(FUZZ_LDADD)
fuzz_fuzz_config_SOURCES = fuzz/fuzz_config.c
fuzz_fuzz_config_CFLAGS = $(FUZZ_CFLAGS_COMMON)
fuzz_fuzz_config_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_config_LDADD = $(FUZZ_LDADD)
fuzz_fuzz_admin_SOURCES = fuzz/fuzz_admin.c
fuzz_fuzz_admin_CFLAGS = $(FUZZ_CFLAGS_COMMON)
fuzz_fuzz_admin_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_admin_LDADD = $(FUZZ_LDADD)
fuzz_fuzz_schema_SOURCES = fuzz/fuzz_schema.c
fuzz_fuzz_schema_CFLAGS = $(FUZZ_CFLAGS_COMMON)
fuzz_fuzz_schema_LDFLAGS = -fsanitize=fuzzer
fuzz_fuzz_schema_LDADD = $(FUZZ_LDADD)
endif
