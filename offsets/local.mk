# offsets: committed consumer offsets on filer paths.
libkelpcore_la_SOURCES += \
	offsets/offset_path.c offsets/offset_path.h \
	offsets/offset_store.c offsets/offset_store.h

check_PROGRAMS += t/unit/test_offset_store
TESTS += t/unit/test_offset_store
t_unit_test_offset_store_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_offset_store_LDADD = $(UNIT_LDADD)
