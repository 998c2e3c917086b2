# storage: topics, partitions and segmented logs under the filer root.
libkelpcore_la_SOURCES += \
	storage/fs.h storage/fs_local.c \
	storage/layout.c storage/layout.h \
	storage/partition.c \
	storage/recovery.c \
	storage/segment.c \
	storage/storage.c storage/storage.h storage/storage_internal.h \
	storage/sync.c \
	storage/topic_name.c storage/topic_name.h
