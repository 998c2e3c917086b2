# broker: the Kafka API handlers, one file per API.
#PENDING libkelpcore_la_SOURCES += \
#PENDING	broker/broker.c broker/broker.h \
#PENDING	broker/cluster_id.c broker/cluster_id.h \
#PENDING	broker/api_versions.c \
#PENDING	broker/metadata.c \
#PENDING	broker/produce.c \
#PENDING	broker/fetch.c \
#PENDING	broker/list_offsets.c
