# txn: producer ids and the transaction coordinator, state on filer paths.
libkelpcore_la_SOURCES += \
	txn/coordinator.c txn/coordinator.h \
	txn/producer_ids.c txn/producer_ids.h \
	txn/txn_state.c txn/txn_state.h

check_PROGRAMS += t/unit/test_txn_coordinator
TESTS += t/unit/test_txn_coordinator
t_unit_test_txn_coordinator_SOURCES = t/unit/test_txn_coordinator.c t/unit/batch_builder.c t/unit/batch_builder.h
t_unit_test_txn_coordinator_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_txn_coordinator_LDADD = $(UNIT_LDADD) $(ZLIB_LIBS) $(SNAPPY_LIBS) $(LZ4_LIBS) $(ZSTD_LIBS) $(ISAL_LIBS)
