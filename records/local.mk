# records: Kafka record batches (magic 2), CRC-32C and decompression.
libkelpcore_la_SOURCES += \
	records/byte_order.h \
	records/batch_filter.c records/batch_filter.h \
	records/compress.c \
	records/compression.c records/compression.h \
	records/control_batch.c records/control_batch.h \
	records/crc32c.c records/crc32c.h \
	records/record_batch.c records/record_batch.h \
	records/record_iter.c
libkelpcore_la_CFLAGS += $(ZLIB_CFLAGS) $(LZ4_CFLAGS) $(ZSTD_CFLAGS) $(ISAL_CFLAGS)
libkelpcore_la_LIBADD += $(ZLIB_LIBS) $(SNAPPY_LIBS) $(LZ4_LIBS) $(ZSTD_LIBS) $(ISAL_LIBS)

check_PROGRAMS += t/unit/test_records
TESTS += t/unit/test_records
t_unit_test_records_SOURCES = t/unit/test_records.c t/unit/batch_builder.c t/unit/batch_builder.h
t_unit_test_records_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_records_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS) $(SNAPPY_LIBS) $(LZ4_LIBS) $(ZSTD_LIBS) $(ISAL_LIBS)
