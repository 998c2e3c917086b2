# bench: throughput, consumer groups and transactions against kelpd and
# librdkafka's mock cluster, and the costs of schema validation and of a
# secured listener (TLS, SASL, ACLs) on kelpd; kelpd with many partitions and
# idle connections, and its restart with 10 GB of data.
# Built and run only by `make bench`, never by `make check`.
EXTRA_PROGRAMS = bench/throughput bench/groups bench/transactions bench/schema_validation bench/scale
bench_throughput_SOURCES = bench/throughput.c bench/bench_util.c bench/bench_util.h \
    bench/thread_cpu.c bench/thread_cpu.h
bench_throughput_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_throughput_LDADD = $(RDKAFKA_LIBS)
bench_groups_SOURCES = bench/groups.c bench/bench_util.c bench/bench_util.h
bench_groups_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_groups_LDADD = $(RDKAFKA_LIBS)
bench_transactions_SOURCES = bench/transactions.c bench/bench_util.c bench/bench_util.h
bench_transactions_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_transactions_LDADD = $(RDKAFKA_LIBS)
bench_schema_validation_SOURCES = bench/schema_validation.c bench/bench_util.c bench/bench_util.h
bench_schema_validation_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_schema_validation_LDADD = $(RDKAFKA_LIBS)
bench_scale_SOURCES = bench/scale.c bench/bench_util.c bench/bench_util.h
bench_scale_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_scale_LDADD = $(RDKAFKA_LIBS)
CLEANFILES += bench/throughput$(EXEEXT) bench/groups$(EXEEXT) bench/transactions$(EXEEXT) \
	bench/schema_validation$(EXEEXT) bench/scale$(EXEEXT)
EXTRA_DIST += bench/lib.sh bench/run.sh bench/groups.sh bench/transactions.sh bench/schema_validation.sh bench/security.sh \
	bench/scale.sh bench/restart.sh bench/README.md

EXTRA_PROGRAMS += bench/latency
bench_latency_SOURCES = bench/latency.c bench/bench_util.c bench/bench_util.h
bench_latency_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_latency_LDADD = $(RDKAFKA_LIBS)
CLEANFILES += bench/latency$(EXEEXT)
EXTRA_DIST += bench/latency.sh

BENCH_ARGS =
bench: bench/throughput$(EXEEXT) bench/latency$(EXEEXT) bench/groups$(EXEEXT) bench/transactions$(EXEEXT) \
		bench/schema_validation$(EXEEXT) bench/scale$(EXEEXT) kelpd$(EXEEXT) kelp.la
	THROUGHPUT='$(abs_builddir)/bench/throughput$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/run.sh' $(BENCH_ARGS)
	LATENCY_BENCH='$(abs_builddir)/bench/latency$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/latency.sh' $(BENCH_ARGS)
	@# again at linger.ms=1, where the 5 ms latency target is measured
	LATENCY_BENCH='$(abs_builddir)/bench/latency$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/latency.sh' $(BENCH_ARGS) --linger 1
	GROUPS_BENCH='$(abs_builddir)/bench/groups$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/groups.sh' $(BENCH_ARGS)
	TRANSACTIONS_BENCH='$(abs_builddir)/bench/transactions$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/transactions.sh' $(BENCH_ARGS)
	SCHEMA_VALIDATION_BENCH='$(abs_builddir)/bench/schema_validation$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/schema_validation.sh' $(BENCH_ARGS)
	THROUGHPUT='$(abs_builddir)/bench/throughput$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/security.sh' $(BENCH_ARGS)
	SCALE_BENCH='$(abs_builddir)/bench/scale$(EXEEXT)' \
	THROUGHPUT='$(abs_builddir)/bench/throughput$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/scale.sh' $(BENCH_ARGS)
	SCALE_BENCH='$(abs_builddir)/bench/scale$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so' \
	$(SHELL) '$(srcdir)/bench/restart.sh' $(BENCH_ARGS)
.PHONY: bench
