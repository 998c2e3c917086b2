# core: small utilities shared by every layer.
libkelpcore_la_SOURCES += \
	core/arena.c core/arena.h \
	core/buf.c core/buf.h \
	core/clock.c core/clock.h \
	core/log.c core/log.h \
	core/uuid.c core/uuid.h

check_PROGRAMS += t/unit/test_core
TESTS += t/unit/test_core
t_unit_test_core_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_core_LDADD = $(UNIT_LDADD)
