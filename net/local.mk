# net: the event loop, listeners and framed connections.
libkelpcore_la_SOURCES += \
	net/event_loop.c net/event_loop.h \
	net/connection.c net/connection.h net/output.c net/output.h \
	net/frame_pool.c net/frame_pool.h \
	net/listener.c net/listener.h \
	net/tls.c net/tls.h

check_PROGRAMS += t/unit/test_net
TESTS += t/unit/test_net
t_unit_test_net_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_net_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_tls
TESTS += t/unit/test_tls
t_unit_test_tls_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_tls_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_idle
TESTS += t/unit/test_idle
t_unit_test_idle_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_idle_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_frame_pool
TESTS += t/unit/test_frame_pool
t_unit_test_frame_pool_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_frame_pool_LDADD = $(UNIT_LDADD)
