# offsets: committed consumer offsets on filer paths.
libkelpcore_la_SOURCES += \
	offsets/offset_path.c offsets/offset_path.h \
	offsets/offset_store.c offsets/offset_store.h
