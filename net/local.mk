# net: the event loop, listeners and framed connections.
libkelpcore_la_SOURCES += \
	net/event_loop.c net/event_loop.h \
	net/connection.c net/connection.h \
	net/listener.c net/listener.h
