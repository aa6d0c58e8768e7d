/* The diagnose model and statistics on inputs built by hand: the CSV
 * reader's columns (known, unknown, optional 1.1 ones), gap/restart/
 * collection/alarm rows and malformed lines; least squares and its t
 * bound on known lines; quantiles. */
#include "diagnose.h"
#include "gcmon_test.h"

#include "gcmon/error.h"

#include <stdlib.h>

static FILE *text_file(const char *text) {
  FILE *f = tmpfile();
  ASSERT_TRUE(f != NULL);
  fputs(text, f);
  rewind(f);
  return f;
}

static int load(dg_model *m, const char *text, char *err, size_t len) {
  FILE *f = text_file(text);
  int rc;

  dg_model_init(m);
  rc = dg_model_load_csv(m, f, err, len);
  fclose(f);
  return rc;
}

TEST(fit_of_an_exact_line_has_no_error) {
  double x[6] = {0, 1, 2, 3, 4, 5}, y[6];
  dg_fit f;

  for (int i = 0; i < 6; i++)
    y[i] = 100 + 7 * x[i];
  ASSERT_TRUE(dg_fit_line(x, y, 6, &f));
  ASSERT_TRUE(fabs(f.slope - 7) < 1e-9 && fabs(f.intercept - 100) < 1e-9);
  ASSERT_TRUE(f.se < 1e-9 && f.lo <= 7 && f.hi >= 7);
  ASSERT_TRUE(!dg_fit_line(x, y, 2, &f)); /* too few */
  for (int i = 0; i < 6; i++)
    x[i] = 3;
  ASSERT_TRUE(!dg_fit_line(x, y, 6, &f)); /* x constant */
}

TEST(t_quantiles_and_bound_width) {
  double x[12], y[12];
  dg_fit f;

  ASSERT_TRUE(fabs(dg_t999(10) - 4.144) < 1e-3);
  ASSERT_TRUE(fabs(dg_t999(1000) - 3.098) < 2e-3);
  ASSERT_TRUE(dg_t999(31) < dg_t999(30) && dg_t999(31) > 3.09);
  /* alternating +-1 around a flat line: slope 0 inside the interval */
  for (int i = 0; i < 12; i++) {
    x[i] = i;
    y[i] = i % 2 ? 1 : -1;
  }
  ASSERT_TRUE(dg_fit_line(x, y, 12, &f));
  ASSERT_TRUE(f.lo < 0 && f.hi > 0);
  ASSERT_TRUE(fabs((f.hi - f.slope) - dg_t999(10) * f.se) < 1e-9);
}

TEST(quantiles_by_selection) {
  double v[101];

  for (int i = 0; i < 101; i++)
    v[i] = (double)((i * 37) % 101); /* 0..100 shuffled */
  ASSERT_TRUE(dg_quantile(v, 101, 0.5) == 50);
  ASSERT_TRUE(dg_quantile(v, 101, 0.99) == 99);
  ASSERT_TRUE(dg_quantile(v, 101, 1.0) == 100);
  ASSERT_TRUE(dg_quantile(v, 101, 0.0) == 0);
  ASSERT_TRUE(isnan(dg_quantile(v, 0, 0.5)));
}

TEST(record_csv_with_gap_and_restart_rows) {
  dg_model m;
  char err[160];

  ASSERT_EQ(0, load(&m,
                    "event,run_id,seq,uptime_us,gc.mem_alloc,gc.mem_free,"
                    "gc.collections,gc.largest_free,sys_mmz.total,sys_mmz.used,"
                    "sys_mmz.free,first,last,prev_run_id,future.column\n"
                    "sample,1,1,1000000,100,900,4,800,10,5,5,,,,7\n"
                    "gap,1,,,,,,,,,,2,3,,\n"
                    "sample,1,4,4000000,200,800,5,-1,10,6,4,,,,7\n"
                    "restart,2,,,,,,,,,,,,1,\n"
                    "sample,2,1,500000,50,950,0,700,10,5,5,,,,\n",
                    err, sizeof err));
  ASSERT_EQ(3, m.n);
  ASSERT_EQ(1, m.skipped_rows);
  ASSERT_TRUE(m.t[0] == 1.0 && m.t[1] == 4.0);
  ASSERT_TRUE(m.t[2] > m.t[1]); /* time goes on across the restart */
  ASSERT_TRUE(m.pool[DG_GC].used[1] == 200 && m.pool[DG_GC].total == 1000);
  ASSERT_TRUE(isnan(m.pool[DG_GC].largest[1])); /* -1: unknown */
  ASSERT_TRUE(m.pool[DG_SYS_MMZ].used[2] == 5);
  ASSERT_TRUE(m.pool[DG_SYS_HEAP].used == NULL); /* never in the input */
  ASSERT_TRUE(m.pool[DG_SYS_MMZ].wm_min_free == NULL);
  ASSERT_TRUE(m.run == NULL);
  dg_model_free(&m);
}

TEST(malformed_csv_names_the_line) {
  dg_model m;
  char err[160];

  ASSERT_EQ(GCMON_EPARSE, load(&m,
                               "event,uptime_us,gc.mem_alloc\n"
                               "sample,1000,12\nsample,2000,1x2\n",
                               err, sizeof err));
  ASSERT_TRUE(strstr(err, "line 3") != NULL);
  dg_model_free(&m);
  ASSERT_EQ(GCMON_EPARSE, load(&m, "a,b,c\n1,2,3\n", err, sizeof err));
  ASSERT_TRUE(strstr(err, "uptime_us") != NULL);
  dg_model_free(&m);
  ASSERT_EQ(GCMON_EPARSE, load(&m, "", err, sizeof err));
  dg_model_free(&m);
  {
    char *big = malloc(10000);
    ASSERT_TRUE(big != NULL);
    strcpy(big, "uptime_us,gc.mem_alloc\n1,");
    memset(big + strlen(big), '7', 6000);
    strcpy(big + strlen("uptime_us,gc.mem_alloc\n1,") + 6000, "\n");
    ASSERT_EQ(GCMON_EPARSE, load(&m, big, err, sizeof err));
    ASSERT_TRUE(strstr(err, "line 2: longer") != NULL);
    free(big);
    dg_model_free(&m);
  }
}

/* Empty header names keep their place: columns stay aligned. */
TEST(empty_header_fields_keep_columns_aligned) {
  dg_model m;
  char err[160];

  ASSERT_EQ(0, load(&m, "x,,uptime_us,,sys_heap.used\n9,9,1000000,9,42\n", err,
                    sizeof err));
  ASSERT_EQ(1, m.n);
  ASSERT_TRUE(m.t[0] == 1.0 && m.pool[DG_SYS_HEAP].used[0] == 42);
  dg_model_free(&m);
}

/* What protocol 1.1 adds: watermarks per sample, collection records with
 * pauses, alarm raise/clear, script runs. */
static char *insight_csv(void) {
  size_t cap = 1 << 20, n = 0;
  char *s = malloc(cap);

  ASSERT_TRUE(s != NULL);
  n += (size_t)snprintf(s + n, cap - n,
                        "event,uptime_us,run,gc.mem_alloc,gc.mem_free,"
                        "gc.collections,gc.largest_free,"
                        "watermarks.gc.min_free,sys_mmz.total,sys_mmz.used,"
                        "sys_mmz.free,watermarks.sys_mmz.min_free,pause_us,"
                        "alarm,raised\n");
  for (int i = 0; i < 200; i++) {
    long long t = 1000000 + i * 100000ll;
    /* flat pools; every 50th interval a 4 MiB MMZ spike between samples */
    long long wm = i % 50 == 25 ? (100 << 20) - (4 << 20) : 100 << 20;
    n += (size_t)snprintf(s + n, cap - n,
                          "sample,%lld,%d,%d,%d,%d,%d,%d,268435456,%d,%d,%lld,"
                          ",,\n",
                          t, i / 20, 1 << 20, 3 << 20, i / 10, 2 << 20,
                          i == 103 ? 1 << 20 : 3 << 20, 156 << 20, 100 << 20,
                          wm);
    if (i % 10 == 5)
      n += (size_t)snprintf(s + n, cap - n, "collection,%lld,,,,,,,,,,,%d,,\n",
                            t, i == 105 ? 30000 : 2000 + i);
  }
  n += (size_t)snprintf(s + n, cap - n,
                        "alarm,5000000,,,,,,,,,,,,3,1\n"
                        "alarm,9000000,,,,,,,,,,,,3,0\n");
  return s;
}

TEST(insight_columns_feed_spikes_pauses_runs_and_alarms) {
  dg_model m;
  dg_report r;
  char err[160], *csv = insight_csv();
  const dg_verdict *gc, *mmz;

  ASSERT_EQ(0, load(&m, csv, err, sizeof err));
  free(csv);
  ASSERT_EQ(200, m.n);
  ASSERT_EQ(20, m.ncoll);
  ASSERT_EQ(1, m.nalarm);
  ASSERT_TRUE(m.alarm[0].t0 == 5.0 && m.alarm[0].t1 == 9.0);
  dg_diagnose(&m, NULL, &r);
  gc = &r.pool[DG_GC];
  mmz = &r.pool[DG_SYS_MMZ];
  /* watermarks: 4 MiB MMZ spikes no sample saw; one 2 MiB gc dip */
  ASSERT_EQ(DG_FINDING, mmz->spikes.state);
  ASSERT_TRUE(mmz->spikes.from_watermarks);
  ASSERT_EQ(4, mmz->spikes.count);
  ASSERT_EQ(DG_FINDING, gc->spikes.state);
  ASSERT_EQ(1, gc->spikes.count);
  /* pauses from the records: 19 of ~2 ms and one of 30 ms */
  ASSERT_TRUE(gc->pauses.pause_known);
  ASSERT_TRUE(gc->pauses.max_us == 30000);
  ASSERT_TRUE(gc->pauses.p50_us > 2000 && gc->pauses.p50_us < 2200);
  ASSERT_TRUE(gc->pauses.p99_us == 30000);
  ASSERT_EQ(DG_FINDING, gc->pauses.state);
  /* flat pools: no leak, the per-run figure known from the run column */
  ASSERT_EQ(DG_OK, mmz->leak.state);
  ASSERT_TRUE(!isnan(mmz->leak.per_run));
  ASSERT_EQ(DG_OK, gc->frag.state);
  dg_model_free(&m);
}

/* A system pool has no largest-free block in its samples; its watermarks'
 * lowest largest-free falling while free stays flat is fragmentation. */
TEST(watermark_largest_free_shows_system_pool_fragmentation) {
  size_t cap = 1 << 16, n = 0;
  char *csv = malloc(cap), err[160];
  dg_model m;
  dg_report r;

  ASSERT_TRUE(csv != NULL);
  n += (size_t)snprintf(csv, cap,
                        "uptime_us,sys_page.total,sys_page.used,sys_page.free,"
                        "watermarks.sys_page.min_largest_free\n");
  for (int i = 0; i < 200; i++)
    n += (size_t)snprintf(csv + n, cap - n, "%d,%d,%d,%d,%d\n",
                          1000000 + i * 100000, 200 << 20, 100 << 20, 100 << 20,
                          (64 << 20) - i * (256 << 10));
  ASSERT_EQ(0, load(&m, csv, err, sizeof err));
  free(csv);
  dg_diagnose(&m, NULL, &r);
  ASSERT_EQ(DG_FINDING, r.pool[DG_SYS_PAGE].frag.state);
  ASSERT_EQ(DG_OK, r.pool[DG_SYS_PAGE].leak.state);
  dg_model_free(&m);
}

/* Live samples with their watermarks (what a 1.1 subscription delivers):
 * a gc dip in an interval without a collection is a spike; the heap full of
 * garbage before a collection is not; a pool absent from the watermarks
 * stays without watermark columns. */
TEST(live_watermarks_feed_the_model) {
  dg_model m;
  dg_report r;

  dg_model_init(&m);
  for (int i = 0; i < 60; i++) {
    gcmon_sample s;
    gcmon_watermarks wm;
    memset(&s, 0, sizeof s);
    memset(&wm, 0, sizeof wm);
    s.uptime_us = 1000000 + (uint64_t)i * 100000;
    s.has_gc = true;
    s.gc.mem_alloc = 1 << 20;
    s.gc.mem_free = 3 << 20;
    s.gc.largest_free = 2 << 20;
    s.gc.collections = (uint64_t)i / 10;
    wm.pool[GCMON_POOL_GC].present = true;
    wm.pool[GCMON_POOL_GC].min_free = 3 << 20;
    wm.pool[GCMON_POOL_GC].max_used = 1 << 20;
    wm.pool[GCMON_POOL_GC].min_largest_free = -1;
    if (i == 20) /* a collection in this interval: garbage, no spike */
      wm.pool[GCMON_POOL_GC].min_free = 1 << 20;
    if (i == 33) /* a 2 MiB buffer between two samples */
      wm.pool[GCMON_POOL_GC].min_free = 1 << 20;
    ASSERT_EQ(0, dg_model_add_sample(&m, &s, i == 0 ? NULL : &wm));
  }
  ASSERT_TRUE(m.pool[DG_GC].wm_min_free != NULL);
  ASSERT_TRUE(isnan(m.pool[DG_GC].wm_min_free[0]));
  ASSERT_TRUE(m.pool[DG_GC].wm_min_largest == NULL);
  ASSERT_TRUE(m.pool[DG_SYS_MMZ].wm_min_free == NULL);
  dg_diagnose(&m, NULL, &r);
  ASSERT_TRUE(r.pool[DG_GC].spikes.from_watermarks);
  ASSERT_EQ(1, r.pool[DG_GC].spikes.count);
  ASSERT_EQ(DG_FINDING, r.pool[DG_GC].spikes.state);
  dg_model_free(&m);
}

/* Collection records with mem_alloc after each collection are the gc
 * leak baseline: exact survivors, whatever the sampling interval caught. */
TEST(collection_records_are_the_gc_leak_baseline) {
  dg_model m;
  dg_report r;

  dg_model_init(&m);
  for (int i = 0; i < 40; i++) {
    gcmon_sample s;
    memset(&s, 0, sizeof s);
    s.uptime_us = 1000000 + (uint64_t)i * 500000;
    s.has_gc = true;
    /* the samples see a noisy heap (garbage comes and goes) */
    s.gc.mem_alloc = (1 << 20) + (i % 3) * (256 << 10);
    s.gc.mem_free = (4 << 20) - s.gc.mem_alloc;
    s.gc.largest_free = -1;
    s.gc.collections = (uint64_t)i;
    ASSERT_EQ(0, dg_model_add_sample(&m, &s, NULL));
    /* while what survives each collection grows 8 KiB a collection */
    ASSERT_EQ(0, dg_model_add_collection(&m, (double)s.uptime_us / 1e6 - 0.1,
                                         1500, (1 << 20) + i * 8192.0));
  }
  dg_diagnose(&m, NULL, &r);
  ASSERT_TRUE(strcmp(r.pool[DG_GC].leak.basis, "collection records") == 0);
  ASSERT_EQ(40, r.pool[DG_GC].leak.points);
  ASSERT_EQ(DG_FINDING, r.pool[DG_GC].leak.state);
  ASSERT_TRUE(fabs(r.pool[DG_GC].leak.per_s - 8192 / 0.5) < 1);
  dg_model_free(&m);
}

#define GCMON_TESTS(X)                                                         \
  X(fit_of_an_exact_line_has_no_error)                                         \
  X(t_quantiles_and_bound_width)                                               \
  X(quantiles_by_selection)                                                    \
  X(record_csv_with_gap_and_restart_rows)                                      \
  X(malformed_csv_names_the_line)                                              \
  X(empty_header_fields_keep_columns_aligned)                                  \
  X(insight_columns_feed_spikes_pauses_runs_and_alarms)                        \
  X(watermark_largest_free_shows_system_pool_fragmentation)                  \
  X(live_watermarks_feed_the_model)                                           \
  X(collection_records_are_the_gc_leak_baseline)
#include "gcmon_test_main.h"
