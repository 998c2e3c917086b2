# txn: producer ids and the transaction coordinator, state on filer paths.
libkelpcore_la_SOURCES += \
	txn/coordinator.c txn/coordinator.h \
	txn/producer_ids.c txn/producer_ids.h \
	txn/txn_state.c txn/txn_state.h
