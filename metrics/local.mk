# metrics: counters kept between scrapes and the Prometheus text format.
libkelpcore_la_SOURCES += \
	metrics/histogram.c metrics/histogram.h \
	metrics/registry.c metrics/registry.h \
	metrics/text_format.c metrics/text_format.h \
	metrics/server_metrics.c metrics/server_metrics.h \
	metrics/sync_metrics.c metrics/sync_metrics.h

check_PROGRAMS += t/unit/test_metrics
TESTS += t/unit/test_metrics
t_unit_test_metrics_CFLAGS = $(UNIT_CFLAGS)
t_unit_test_metrics_LDADD = $(UNIT_LDADD)
