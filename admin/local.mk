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
	admin/routes_topics.c \
	admin/routes_metrics.c \
	admin/routes_connections.c \
	admin/routes_console.c admin/console_assets.h

# The web console (GET /console/): admin/console/* become C arrays in the
# build directory, so a read-only source tree builds too.
CONSOLE_FILES = \
	admin/console/index.html \
	admin/console/style.css \
	admin/console/app.js \
	admin/console/api.js \
	admin/console/prom.js \
	admin/console/chart.js \
	admin/console/format.js \
	admin/console/favicon.svg
nodist_libkelpcore_la_SOURCES = admin/console_assets.c
CLEANFILES += admin/console_assets.c
EXTRA_DIST += $(CONSOLE_FILES) admin/console_embed.sh
admin/console_assets.c: $(CONSOLE_FILES) admin/console_embed.sh
	$(AM_V_GEN)$(MKDIR_P) admin && $(SHELL) $(srcdir)/admin/console_embed.sh $@ $(srcdir) $(CONSOLE_FILES)

check_PROGRAMS += t/unit/test_admin
TESTS += t/unit/test_admin
t_unit_test_admin_CFLAGS = $(UNIT_CFLAGS) $(MHD_CFLAGS)
t_unit_test_admin_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_http_auth
TESTS += t/unit/test_http_auth
t_unit_test_http_auth_CFLAGS = $(UNIT_CFLAGS) $(MHD_CFLAGS)
t_unit_test_http_auth_LDADD = $(UNIT_LDADD)
