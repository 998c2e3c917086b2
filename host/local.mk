# host: kelpd, the program that loads kelp.so. It uses only kelp/module.h,
# never libkelpcore.
bin_PROGRAMS += kelpd
kelpd_SOURCES = host/kelpd.c
# The line formatter only (no libkelpcore), so kelpd's own lines match the module's.
kelpd_SOURCES += util/log_line.c util/log_line.h
kelpd_CPPFLAGS = $(AM_CPPFLAGS) -DKELP_MODULE_PATH='"$(pkglibdir)/kelp.so"'
kelpd_CFLAGS = $(AM_CFLAGS) $(CJSON_CFLAGS)
kelpd_LDADD = $(DL_LIBS) $(CJSON_LIBS) $(PTHREAD_LIBS)

# A module that declares another ABI version, for host_abi.sh.
check_LTLIBRARIES = t/integration/wrong_abi_module.la
t_integration_wrong_abi_module_la_SOURCES = t/integration/wrong_abi_module.c
t_integration_wrong_abi_module_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere

HOST_TESTS = \
	t/integration/host_abi.sh \
	t/integration/host_config.sh \
	t/integration/host_admin.sh
TESTS += $(HOST_TESTS)
dist_noinst_SCRIPTS += $(HOST_TESTS) t/integration/host_lib.sh
