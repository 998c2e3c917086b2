# dist: what make install lays out besides kelpd, kelp.so and kelp/module.h:
# kelp.pc, the kelpd(8) man page, an example configuration, the README and
# the systemd unit.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = dist/kelp.pc

kelpconfdir = $(sysconfdir)/kelp
dist_kelpconf_DATA = dist/kelp.json.example
dist_doc_DATA = README.md

nodist_man8_MANS = dist/kelpd.8

if KELP_SYSTEMD_UNIT
nodist_systemdsystemunit_DATA = dist/kelpd.service
endif

# configure leaves installation directories as ${prefix}/... references,
# so the paths that must be literal are filled in here (a later
# "make prefix=..." is honoured too).
dist_edit = sed \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkglibdir[@]|$(pkglibdir)|g' \
	-e 's|@docdir[@]|$(docdir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

dist/kelpd.service: $(srcdir)/dist/kelpd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && rm -f $@ $@.tmp && \
	$(dist_edit) $(srcdir)/dist/kelpd.service.in >$@.tmp && mv $@.tmp $@

dist/kelpd.8: $(srcdir)/dist/kelpd.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) dist && rm -f $@ $@.tmp && \
	$(dist_edit) $(srcdir)/dist/kelpd.8.in >$@.tmp && mv $@.tmp $@

CLEANFILES += dist/kelpd.service dist/kelpd.8
EXTRA_DIST += dist/kelp.pc.in dist/kelpd.service.in dist/kelpd.8.in
