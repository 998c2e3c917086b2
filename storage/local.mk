# storage: topics, partitions and segmented logs under the filer root.
libkelpcore_la_CFLAGS += $(CURL_CFLAGS)
libkelpcore_la_LIBADD += $(CURL_LIBS)
libkelpcore_la_SOURCES += \
	storage/cleaner.c \
	storage/clean_shutdown.c \
	storage/file_writer.c storage/file_writer.h \
	storage/flush_policy.c storage/flush_policy.h \
	storage/fs.h storage/fs_local.c \
	storage/fs_filer.c storage/fs_filer.h \
	storage/layout.c storage/layout.h \
	storage/partition.c \
	storage/producer_state.c storage/producer_state.h \
	storage/recovery.c \
	storage/retention.c \
	storage/segment.c \
	storage/storage.c storage/storage.h storage/storage_internal.h \
	storage/sync.c \
	storage/topic_config.c storage/topic_config.h \
	storage/topic_name.c storage/topic_name.h

check_PROGRAMS += t/unit/test_storage
TESTS += t/unit/test_storage
t_unit_test_storage_SOURCES = t/unit/test_storage.c t/unit/batch_builder.c t/unit/batch_builder.h
t_unit_test_storage_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_storage_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS) $(SNAPPY_LIBS) $(LZ4_LIBS) $(ZSTD_LIBS) $(ISAL_LIBS)

check_PROGRAMS += t/unit/test_flush_policy
TESTS += t/unit/test_flush_policy
t_unit_test_flush_policy_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_flush_policy_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_topic_config
TESTS += t/unit/test_topic_config
t_unit_test_topic_config_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_topic_config_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_producer_state
TESTS += t/unit/test_producer_state
t_unit_test_producer_state_SOURCES = t/unit/test_producer_state.c t/unit/batch_builder.c t/unit/batch_builder.h
t_unit_test_producer_state_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_producer_state_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS) $(SNAPPY_LIBS) $(LZ4_LIBS) $(ZSTD_LIBS) $(ISAL_LIBS)
