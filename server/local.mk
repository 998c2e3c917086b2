# server: life cycle, connections to requests, dispatch to the broker.
libkelpcore_la_SOURCES += \
	server/server.c server/server.h \
	server/request.c server/request.h
