# util: small utilities shared by every layer.
libkelpcore_la_SOURCES += \
	util/arena.c util/arena.h \
	util/buf.c util/buf.h \
	util/clock.c util/clock.h \
	util/hex.c util/hex.h \
	util/host_port.c util/host_port.h \
	util/json_text.c util/json_text.h \
	util/log.c util/log.h \
	util/log_line.c util/log_line.h \
	util/strmap.c util/strmap.h \
	util/uuid.c util/uuid.h

check_PROGRAMS += t/unit/test_core
TESTS += t/unit/test_core
t_unit_test_core_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_core_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_log
TESTS += t/unit/test_log
t_unit_test_log_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_log_LDADD = $(UNIT_LDADD)
