/* The verdicts of gcmon diagnose (diagnose.h), one per pool and check.
 *
 * Leak: the pool's baseline - the minimum of `used` in each gc cycle (rows
 * between two increments of the collection counter) for the gc heap, in
 * each of 5-30 equal time windows for the system pools - fitted by least
 * squares; a leak is a slope whose 99.9% lower confidence bound is above
 * 0.05% of the pool a minute and whose growth over the series (at that
 * bound) is at least 16 KiB and at least the scatter of the baseline.
 * Fragmentation: at each cycle start (or window), index = 1 - largest/free;
 * a finding when free is flat (fitted change within 5%) and the index rose
 * by at least 0.10 or largest-free fell by at least 20% (lower bounds).
 * Spikes: with watermarks, an interval whose lowest free lies far below the
 * sampled free; without, a system pool's one-sample upward excursions of
 * `used` (both neighbours agree, the excursion is >= 64 KiB and >= 6 robust
 * standard deviations of the sample-to-sample change).
 * Pauses (gc): from collection records with pause times, p50/p99/max and the
 * share of time paused (finding: p99 >= 10 ms or >= 2% of the time); without
 * them only the collection rate is known (finding: >= 5 a second). */
#include "diagnose.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024.0

#define LEAK_MIN_GROWTH      (16 * KIB)
#define LEAK_MIN_SHARE_PER_S (0.0005 / 60)
#define FRAG_FLAT            0.05
#define FRAG_INDEX_RISE      0.10
#define FRAG_LARGEST_FALL    0.20
#define SPIKE_MIN            (64 * KIB)
#define SPIKE_SIGMAS         6.0
#define SPIKE_MIN_COUNT      2
#define PAUSE_P99_US         10000.0
#define PAUSE_SHARE          0.02
#define PAUSE_RATE           5.0
#define MIN_POINTS           5
#define WINDOWS_MIN          5
#define WINDOWS_MAX          30

/* Baseline points of one pool: x (seconds), min used, and at the start of
 * the cycle/window: free and largest. */
typedef struct {
  size_t n;
  double *x, *base, *free, *largest;
  bool cycles;
  bool records; /* x/base from collection records (record_baseline) */
} points;

static bool new_cycle(const dg_model *m, size_t i) {
  return m->collections && i > 0 && !isnan(m->collections[i]) &&
         !isnan(m->collections[i - 1]) &&
         m->collections[i] > m->collections[i - 1];
}

static double at(const double *col, size_t i) {
  return col ? col[i] : DG_NAN;
}

/* Close the group [from, to) into point k. */
static void add_point(const dg_model *m, const dg_pool *pl, points *pt,
                      size_t from, size_t to) {
  size_t k = pt->n, imin = SIZE_MAX;
  double lf = DG_NAN, fr = DG_NAN;
  /* A pool whose samples carry no largest-free block may have it from
   * its watermarks (the lowest over each interval). */
  const double *largest = pl->largest ? pl->largest : pl->wm_min_largest;

  for (size_t i = from; i < to; i++) {
    if (!isnan(pl->used[i]) &&
        (imin == SIZE_MAX || pl->used[i] < pl->used[imin]))
      imin = i;
    lf = fmax(lf, at(largest, i)); /* fmax ignores a NaN */
    fr = fmax(fr, at(pl->free, i));
  }
  if (imin == SIZE_MAX)
    return; /* no value of this pool in the group */
  pt->x[k] = m->t[imin];
  pt->base[k] = pl->used[imin];
  /* Just after a collection the heap is at its least fragmented: take the
   * first row of a cycle, the best of a window. */
  pt->free[k] = pt->cycles ? at(pl->free, from) : fr;
  pt->largest[k] = pt->cycles ? at(largest, from) : lf;
  pt->n++;
}

static bool collect_points(const dg_model *m, int p, points *pt) {
  const dg_pool *pl = &m->pool[p];
  size_t n = m->n, start = SIZE_MAX;
  double t0 = m->t[0], span = m->t[n - 1] - m->t[0];
  size_t windows = (size_t)span;

  memset(pt, 0, sizeof *pt);
  pt->x = malloc(4 * n * sizeof(double));
  if (pt->x == NULL)
    return false;
  pt->base = pt->x + n;
  pt->free = pt->base + n;
  pt->largest = pt->free + n;
  if (p == DG_GC && m->collections) {
    pt->cycles = true;
    for (size_t i = 1; i < n; i++)
      if (new_cycle(m, i)) {
        if (start != SIZE_MAX)
          add_point(m, pl, pt, start, i);
        start = i;
      }
    if (start != SIZE_MAX)
      add_point(m, pl, pt, start, n);
    return true;
  }
  windows = windows < WINDOWS_MIN ? WINDOWS_MIN : windows;
  windows = windows > WINDOWS_MAX ? WINDOWS_MAX : windows;
  start = 0;
  for (size_t w = 0; w < windows && span > 0; w++) {
    double end = t0 + span * (double)(w + 1) / (double)windows;
    size_t i = start;
    while (i < n && (m->t[i] < end || w + 1 == windows))
      i++;
    if (i - start >= 2)
      add_point(m, pl, pt, start, i);
    start = i;
  }
  return true;
}

static void judge_leak(const dg_model *m, const dg_options *o, double total,
                       const points *pt, double span, dg_leak *l) {
  dg_fit f;
  double floor_rate = total * LEAK_MIN_SHARE_PER_S;

  l->basis = pt->records  ? "collection records"
             : pt->cycles ? "post-collection minima"
                          : "window minima";
  l->points = pt->n;
  l->per_run = DG_NAN;
  if (pt->n < MIN_POINTS || !dg_fit_line(pt->x, pt->base, pt->n, &f)) {
    l->state = DG_UNKNOWN;
    return;
  }
  l->per_s = f.slope;
  l->lo_per_s = f.lo;
  l->hi_per_s = f.hi;
  l->growth = f.slope * span;
  if (o && o->run_period_s > 0) {
    l->per_run = f.slope * o->run_period_s;
  } else if (m->run) {
    double first = DG_NAN, last = DG_NAN;
    for (size_t i = 0; i < m->n; i++)
      if (!isnan(m->run[i])) {
        last = m->run[i];
        if (isnan(first))
          first = last;
      }
    if (last > first)
      l->per_run = f.slope * span / (last - first + 1);
  }
  /* Growth (at its lower bound) must also clear the baseline's own scatter:
   * a drift smaller than the noise is not worth a finding. */
  l->state = f.lo > 0 && f.lo * span >= LEAK_MIN_GROWTH &&
                     f.lo * span >= f.resid_sd && f.lo >= floor_rate
                 ? DG_FINDING
                 : DG_OK;
}

static void judge_frag(const points *pt, double span, dg_frag *fr) {
  double *idx, *x;
  size_t k = 0;
  dg_fit fi, fl, ff;
  double mean_l = 0, mean_f = 0, fall;

  fr->points = pt->n;
  if (pt->n < MIN_POINTS)
    return; /* DG_UNKNOWN */
  idx = malloc(2 * pt->n * sizeof(double));
  if (idx == NULL)
    return;
  x = idx + pt->n;
  for (size_t i = 0; i < pt->n; i++)
    if (pt->free[i] > 0 && !isnan(pt->largest[i])) {
      /* compact the usable points in place of the scratch arrays */
      x[k] = pt->x[i];
      idx[k] = 1 - pt->largest[i] / pt->free[i];
      pt->free[k] = pt->free[i];
      pt->largest[k] = pt->largest[i];
      mean_l += pt->largest[k];
      mean_f += pt->free[k];
      k++;
    }
  fr->points = k;
  if (k < MIN_POINTS || !dg_fit_line(x, idx, k, &fi) ||
      !dg_fit_line(x, pt->largest, k, &fl) ||
      !dg_fit_line(x, pt->free, k, &ff)) {
    free(idx);
    return;
  }
  mean_l /= (double)k;
  mean_f /= (double)k;
  fr->index_start = fi.intercept + fi.slope * x[0];
  fr->index_end = fi.intercept + fi.slope * x[k - 1];
  fr->largest_start = fl.intercept + fl.slope * x[0];
  fr->largest_end = fl.intercept + fl.slope * x[k - 1];
  fr->free_change = mean_f > 0 ? ff.slope * span / mean_f : 0;
  fall = mean_l > 0 ? -fl.hi * span / mean_l : 0;
  fr->state =
      fabs(fr->free_change) <= FRAG_FLAT &&
              (fi.lo * span >= FRAG_INDEX_RISE || fall >= FRAG_LARGEST_FALL)
          ? DG_FINDING
          : DG_OK;
  free(idx);
}

/* 1.4826 x the median absolute deviation of successive differences of v. */
static double robust_step_sd(const double *v, size_t n) {
  double *d, med, sd;
  size_t k = 0;

  if (n < 3 || (d = malloc((n - 1) * sizeof(double))) == NULL)
    return 0;
  for (size_t i = 1; i < n; i++)
    if (!isnan(v[i]) && !isnan(v[i - 1]))
      d[k++] = v[i] - v[i - 1];
  med = dg_quantile(d, k, 0.5);
  for (size_t i = 0; i < k; i++)
    d[i] = fabs(d[i] - med);
  sd = k ? 1.4826 * dg_quantile(d, k, 0.5) : 0;
  free(d);
  return sd;
}

static void judge_spikes(const dg_model *m, int p, dg_spikes *s) {
  const dg_pool *pl = &m->pool[p];
  bool wm = pl->wm_min_free && pl->free;
  const double *v = wm ? pl->free : pl->used;
  double sd = robust_step_sd(v, m->n);

  s->threshold = fmax(SPIKE_MIN, SPIKE_SIGMAS * sd);
  s->from_watermarks = wm;
  if (!wm && p == DG_GC)
    return; /* garbage stays until collected: only watermarks show spikes */
  for (size_t i = 1; i + (wm ? 0 : 1) < m->n; i++) {
    double d;
    if (wm) {
      /* On the gc heap an interval with a collection in it is no spike:
       * its lowest free is the heap full of garbage just before. */
      if (p == DG_GC && new_cycle(m, i))
        continue;
      d = fmin(pl->free[i - 1], pl->free[i]) - pl->wm_min_free[i];
    } else {
      double a = v[i - 1], b = v[i + 1];
      d = v[i] - fmax(a, b);
      if (fabs(a - b) > d / 2)
        continue;
    }
    if (!(d >= s->threshold))
      continue;
    s->count++;
    s->deepest = fmax(s->deepest, d);
  }
  s->state =
      s->count >= (wm ? 1u : (size_t)SPIKE_MIN_COUNT) ? DG_FINDING : DG_OK;
}

static void judge_pauses(const dg_model *m, double span, dg_pauses *ps) {
  double *pause;
  size_t k = 0, total = 0;

  ps->p50_us = ps->p99_us = ps->max_us = ps->share = DG_NAN;
  for (size_t i = 1; m->collections && i < m->n; i++)
    if (new_cycle(m, i))
      total += (size_t)(m->collections[i] - m->collections[i - 1]);
  pause = m->ncoll ? malloc(m->ncoll * sizeof(double)) : NULL;
  for (size_t i = 0; pause && i < m->ncoll; i++)
    if (!isnan(m->coll[i].pause_us))
      pause[k++] = m->coll[i].pause_us;
  if (!m->collections && m->ncoll == 0) {
    free(pause);
    return; /* DG_UNKNOWN */
  }
  ps->count = m->collections ? total : m->ncoll;
  ps->per_s = span > 0 ? (double)ps->count / span : 0;
  ps->pause_known = k > 0;
  if (k > 0) {
    double sum = 0;
    for (size_t i = 0; i < k; i++)
      sum += pause[i];
    ps->share = span > 0 ? sum / 1e6 / span : DG_NAN;
    ps->max_us = dg_quantile(pause, k, 1.0);
    ps->p99_us = dg_quantile(pause, k, 0.99);
    ps->p50_us = dg_quantile(pause, k, 0.5);
    ps->state = ps->p99_us >= PAUSE_P99_US || ps->share >= PAUSE_SHARE
                    ? DG_FINDING
                    : DG_OK;
  } else {
    ps->state = ps->per_s >= PAUSE_RATE ? DG_FINDING : DG_OK;
  }
  free(pause);
}

static size_t count(const dg_verdict *v) {
  return (v->leak.state == DG_FINDING) + (v->frag.state == DG_FINDING) +
         (v->spikes.state == DG_FINDING) + (v->pauses.state == DG_FINDING);
}

/* The gc heap's baseline from collection records: mem_alloc right after
 * each collection is exactly what survived it. Replaces the sampled
 * post-collection minima (which a coarse interval catches late) when at
 * least MIN_POINTS records carry it; pt's other columns stay. */
static void record_baseline(const dg_model *m, points *pt, double *x,
                            double *base) {
  size_t k = 0;

  for (size_t i = 0; i < m->ncoll; i++)
    if (!isnan(m->coll[i].alloc_after)) {
      x[k] = m->coll[i].t;
      base[k++] = m->coll[i].alloc_after;
    }
  if (k < MIN_POINTS)
    return;
  pt->x = x;
  pt->base = base;
  pt->n = k;
  pt->records = true;
}

void dg_diagnose(const dg_model *m, const dg_options *o, dg_report *out) {
  double span;

  memset(out, 0, sizeof *out);
  out->samples = m->n;
  if (m->n < 2)
    return;
  span = m->t[m->n - 1] - m->t[0];
  out->duration_s = span;
  for (int p = 0; p < DG_POOLS; p++) {
    dg_verdict *v = &out->pool[p];
    points pt;
    if (m->pool[p].used == NULL)
      continue;
    v->present = true;
    v->total = m->pool[p].total;
    if (!collect_points(m, p, &pt))
      continue;
    if (p == DG_GC && m->ncoll > 0) {
      points rec = pt;
      double *xb = malloc(2 * m->ncoll * sizeof(double));
      if (xb)
        record_baseline(m, &rec, xb, xb + m->ncoll);
      judge_leak(m, o, v->total, &rec, span, &v->leak);
      free(xb);
    } else {
      judge_leak(m, o, v->total, &pt, span, &v->leak);
    }
    judge_frag(&pt, span, &v->frag);
    judge_spikes(m, p, &v->spikes);
    if (p == DG_GC)
      judge_pauses(m, span, &v->pauses);
    free(pt.x);
    out->findings += count(v);
  }
}
