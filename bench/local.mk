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

# The latency floor of the disk itself, for bench/latency.sh.
EXTRA_PROGRAMS += bench/flush_floor
bench_flush_floor_SOURCES = bench/flush_floor.c bench/bench_util.c bench/bench_util.h
bench_flush_floor_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
bench_flush_floor_LDADD = $(RDKAFKA_LIBS) $(PTHREAD_LIBS)
CLEANFILES += bench/flush_floor$(EXEEXT)

BENCH_ARGS =
# Every script finds the binaries it needs here.
BENCH_ENV = THROUGHPUT='$(abs_builddir)/bench/throughput$(EXEEXT)' \
	LATENCY_BENCH='$(abs_builddir)/bench/latency$(EXEEXT)' \
	FLUSH_FLOOR='$(abs_builddir)/bench/flush_floor$(EXEEXT)' \
	GROUPS_BENCH='$(abs_builddir)/bench/groups$(EXEEXT)' \
	TRANSACTIONS_BENCH='$(abs_builddir)/bench/transactions$(EXEEXT)' \
	SCHEMA_VALIDATION_BENCH='$(abs_builddir)/bench/schema_validation$(EXEEXT)' \
	SCALE_BENCH='$(abs_builddir)/bench/scale$(EXEEXT)' \
	KELPD='$(abs_builddir)/kelpd$(EXEEXT)' \
	KELP_MODULE='$(abs_builddir)/.libs/kelp.so'
bench: bench/throughput$(EXEEXT) bench/latency$(EXEEXT) bench/flush_floor$(EXEEXT) bench/groups$(EXEEXT) bench/transactions$(EXEEXT) \
		bench/schema_validation$(EXEEXT) bench/scale$(EXEEXT) kelpd$(EXEEXT) kelp.la
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/run.sh' $(BENCH_ARGS)
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/latency.sh' $(BENCH_ARGS)
	@# again at linger.ms=1, where the 5 ms latency target is measured
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/latency.sh' $(BENCH_ARGS) --linger 1
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/groups.sh' $(BENCH_ARGS)
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/transactions.sh' $(BENCH_ARGS)
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/schema_validation.sh' $(BENCH_ARGS)
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/security.sh' $(BENCH_ARGS)
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/scale.sh' $(BENCH_ARGS)
	$(BENCH_ENV) $(SHELL) '$(srcdir)/bench/restart.sh' $(BENCH_ARGS)
.PHONY: bench
