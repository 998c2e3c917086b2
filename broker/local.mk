# broker: the Kafka API handlers, one file per API.
libkelpcore_la_SOURCES += \
	broker/broker.c broker/broker.h \
	broker/cluster_id.c broker/cluster_id.h \
	broker/api_versions.c \
	broker/metadata.c \
	broker/produce.c \
	broker/fetch.c \
	broker/list_offsets.c
