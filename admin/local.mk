# admin: the HTTP admin endpoint; one file per route group.
libkelpcore_la_SOURCES += \
	admin/admin_http.c admin/admin_http.h \
	admin/http_listen.c admin/http_listen.h \
	admin/http_auth.c admin/http_auth.h \
	admin/http_tls.c admin/http_tls.h \
	admin/routes.h \
	admin/routes_health.c \
	admin/routes_config.c \
	admin/routes_groups.c \
	admin/routes_topics.c

check_PROGRAMS += t/unit/test_admin
TESTS += t/unit/test_admin
t_unit_test_admin_CFLAGS = $(UNIT_CFLAGS) $(MHD_CFLAGS)
t_unit_test_admin_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_http_auth
TESTS += t/unit/test_http_auth
t_unit_test_http_auth_CFLAGS = $(UNIT_CFLAGS) $(MHD_CFLAGS)
t_unit_test_http_auth_LDADD = $(UNIT_LDADD)
