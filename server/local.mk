# server: life cycle, connections to requests, dispatch to the broker.
libkelpcore_la_SOURCES += \
	server/server.c server/server.h \
	server/request.c server/request.h

# Bad input against a running kelpd (raw sockets).
TESTS += t/integration/bad_input.sh
EXTRA_DIST += t/integration/bad_input.sh t/integration/bad_input.py
