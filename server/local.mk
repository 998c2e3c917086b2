# server: life cycle, connections to requests, dispatch to the broker.
libkelpcore_la_SOURCES += \
	server/server.c server/server.h \
	server/request.c server/request.h \
	server/listener_set.c server/listener_set.h \
	server/server_admin.c server/server_internal.h

# Bad input against a running kelpd (raw sockets).
TESTS += t/integration/bad_input.sh
EXTRA_DIST += t/integration/bad_input.sh t/integration/bad_input.py
