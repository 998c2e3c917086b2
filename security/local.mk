# security: SASL mechanisms and the user credential store.
libkelpcore_la_SOURCES += \
	security/scram.c security/scram.h \
	security/users.c security/users.h

check_PROGRAMS += t/unit/test_sasl
TESTS += t/unit/test_sasl
t_unit_test_sasl_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_sasl_LDADD = $(UNIT_LDADD)
