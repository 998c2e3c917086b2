# security: SASL mechanisms, the user credential store and the ACL store.
libkelpcore_la_SOURCES += \
	security/scram.c security/scram.h \
	security/users.c security/users.h \
	security/acl.c security/acl.h

check_PROGRAMS += t/unit/test_sasl
TESTS += t/unit/test_sasl
t_unit_test_sasl_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_sasl_LDADD = $(UNIT_LDADD)

check_PROGRAMS += t/unit/test_acl
TESTS += t/unit/test_acl
t_unit_test_acl_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_acl_LDADD = $(UNIT_LDADD)
