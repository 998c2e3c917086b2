# groups: the classic group coordinator and group metadata on the filer.
libkelpcore_la_SOURCES += \
	groups/group.c groups/group.h \
	groups/group_store.c groups/group_store.h \
	groups/coordinator.c groups/coordinator.h
