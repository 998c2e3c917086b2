# groups: the classic group coordinator and group metadata on the filer.
libkelpcore_la_SOURCES += \
	groups/group.c groups/group.h \
	groups/group_store.c groups/group_store.h \
	groups/coordinator.c groups/coordinator.h

check_PROGRAMS += t/unit/test_group_coordinator
TESTS += t/unit/test_group_coordinator
t_unit_test_group_coordinator_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_group_coordinator_LDADD = $(UNIT_LDADD)
