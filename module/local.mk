# module: configuration and the instance behind the ABI. module/module.c (the
# exported descriptor) is built into kelp.la by Makefile.am.
libkelpcore_la_SOURCES += \
	module/config.c module/config.h \
	module/config_listeners.c module/config_listeners.h \
	module/instance.c module/instance.h

check_PROGRAMS += t/unit/test_config
TESTS += t/unit/test_config
t_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_config_LDADD = $(UNIT_LDADD)
