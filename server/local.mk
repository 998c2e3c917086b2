# server: life cycle, connections to requests, dispatch to the broker.
#PENDING libkelpcore_la_SOURCES += \
#PENDING	server/server.c server/server.h \
#PENDING	server/request.c server/request.h
