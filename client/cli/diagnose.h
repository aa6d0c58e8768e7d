/* gcmon diagnose: the series model, its statistics and the verdicts.
 *
 * A dg_model is a column store of one series of samples, filled from a live
 * subscription (dg_model_add_sample) or a record/history CSV
 * (dg_model_load_csv). Every column but time is optional: a pool the source
 * lacks, largest-free where it is unknown, and the memory-insight data of
 * protocol 1.1 (watermarks per sample, collection records with their pause,
 * alarm spans, script runs) when the input carries them. dg_diagnose() turns
 * a model into one verdict per pool and check; a check whose data is absent
 * says "unknown", never "ok".
 *
 * No I/O but the CSV reader's FILE, no globals: tests link this directly
 * (with the sim) and run days of simulated time in seconds. */
#ifndef GCMON_DIAGNOSE_H
#define GCMON_DIAGNOSE_H

#include "gcmon/insight.h"
#include "gcmon/sample.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* NaN as a double: "no value" in every column (math.h's NAN is a float). */
#define DG_NAN ((double)NAN)

enum { DG_GC = 0, DG_SYS_HEAP, DG_SYS_PAGE, DG_SYS_MMZ, DG_POOLS };

/* "gc", "sys_heap", "sys_page", "sys_mmz" */
extern const char *const dg_pool_names[DG_POOLS];

/* Columns of a pool; a NULL array is a column the input never had. Bytes. */
typedef struct dg_pool {
  double total; /* last known, 0 = unknown */
  double *used, *free, *largest;
  double *wm_min_free, *wm_max_used, *wm_min_largest; /* 1.1 watermarks over
                                                         the interval ending
                                                         at the row */
} dg_pool;

typedef struct dg_collection {
  double t;           /* seconds, the model's clock */
  double pause_us;    /* NaN = unknown */
  double alloc_after; /* gc mem_alloc right after it, bytes; NaN = unknown */
} dg_collection;

typedef struct dg_alarm_span {
  double t0, t1; /* t1 = end of the series while still active */
  unsigned alarm;
} dg_alarm_span;

typedef struct dg_model {
  size_t n, cap;
  double *t;           /* seconds of device uptime; after a daemon restart
                          the clock continues from the last row */
  double *collections; /* gc collection counter; NULL = unknown */
  double *run;         /* script run number; NULL = unknown */
  dg_pool pool[DG_POOLS];
  dg_collection *coll;
  size_t ncoll, collcap;
  dg_alarm_span *alarm;
  size_t nalarm, alarmcap;
  /* input bookkeeping */
  double t_offset, last_raw_t;
  bool have_raw_t;
  size_t skipped_rows; /* gap rows, malformed rows */
} dg_model;

/* One row to add: NaN for a value the row does not have. */
typedef struct dg_row {
  double uptime_s;
  double collections, run;
  struct {
    double total, used, free, largest;
    double wm_min_free, wm_max_used, wm_min_largest;
  } pool[DG_POOLS];
} dg_row;

void dg_model_init(dg_model *m);
void dg_model_free(dg_model *m);
void dg_row_clear(dg_row *r); /* every value NaN */
/* 0 or GCMON_ENOMEM. */
int dg_model_add(dg_model *m, const dg_row *r);
/* wm: the watermarks a 1.1 subscription carried with the sample (the
 * extremes over every sampler tick since the previous one), or NULL. */
int dg_model_add_sample(dg_model *m, const gcmon_sample *s,
                        const gcmon_watermarks *wm);
/* The series restarted (daemon restart): time goes on, counters reset. */
void dg_model_restart(dg_model *m);
int dg_model_add_collection(dg_model *m, double uptime_s, double pause_us,
                            double alloc_after);
int dg_model_alarm(dg_model *m, double uptime_s, unsigned alarm, bool raised);
/* Read a record/history CSV (docs/cli.md). 0, or GCMON_EPARSE with the
 * first bad line in err, GCMON_ENOMEM. */
int dg_model_load_csv(dg_model *m, FILE *f, char *err, size_t errlen);

/* ---- statistics (diagnose_stats.c) ------------------------------------ */

typedef struct dg_fit {
  size_t n;
  double slope, intercept; /* per second */
  double se;               /* standard error of the slope */
  double resid_sd;         /* scatter of the points around the line */
  double lo, hi;           /* slope's confidence interval (DG_CONFIDENCE) */
} dg_fit;

#define DG_CONFIDENCE 0.998 /* two-sided: each bound is one-sided 99.9% */

/* Least squares of y on x over n points; false when n < 3 or x constant. */
bool dg_fit_line(const double *x, const double *y, size_t n, dg_fit *out);
/* Student t quantile for one-sided p = 0.999 with df degrees of freedom. */
double dg_t999(size_t df);
/* q-quantile (0..1) of v[0..n) (reordered in place); NaN when n == 0. */
double dg_quantile(double *v, size_t n, double q);

/* ---- verdicts (diagnose_verdict.c) ------------------------------------ */

typedef enum {
  DG_UNKNOWN = 0, /* the data cannot tell */
  DG_OK,
  DG_FINDING
} dg_state;

typedef struct dg_leak {
  dg_state state;
  const char *basis; /* "collection records", "post-collection minima",
                        "window minima" */
  size_t points;
  double per_s, lo_per_s, hi_per_s; /* bytes per second */
  double per_run;                   /* bytes per script run; NaN unknown */
  double growth;                    /* fitted over the whole window */
} dg_leak;

typedef struct dg_frag {
  dg_state state;
  size_t points;
  double index_start, index_end; /* fitted 1 - largest/free */
  double largest_start, largest_end;
  double free_change; /* fitted relative change of free, -1..+inf */
} dg_frag;

typedef struct dg_spikes {
  dg_state state;
  bool from_watermarks;
  size_t count;
  double deepest;   /* bytes beyond the sampled level */
  double threshold; /* bytes an excursion had to reach */
} dg_spikes;

typedef struct dg_pauses {
  dg_state state;
  bool pause_known; /* collection records with pauses were present */
  size_t count;     /* collections seen */
  double per_s;
  double p50_us, p99_us, max_us; /* NaN unknown */
  double share;                  /* of the time spent paused; NaN unknown */
} dg_pauses;

typedef struct dg_verdict {
  bool present;
  double total;
  dg_leak leak;
  dg_frag frag;
  dg_spikes spikes;
  dg_pauses pauses; /* gc only */
} dg_verdict;

typedef struct dg_options {
  double run_period_s; /* --run-period: one script run; 0 = unknown */
} dg_options;

typedef struct dg_report {
  size_t samples;
  double duration_s;
  size_t findings;
  dg_verdict pool[DG_POOLS];
} dg_report;

void dg_diagnose(const dg_model *m, const dg_options *o, dg_report *out);

#endif
