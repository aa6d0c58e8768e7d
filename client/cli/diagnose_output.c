/* gcmon diagnose's report through the writer interface (diagnose_report.h):
 * text for people (one summary line per check and pool), JSON with every
 * number for CI rigs. The summary lines are shared with the HTML report. */
#include "diagnose_report.h"
#include "units.h"

#include <math.h>
#include <string.h>

const char *const dg_check_names[DG_CHECKS] = {"leak", "fragmentation",
                                               "spikes", "pauses"};

const char *const dg_pool_labels[DG_POOLS] = {
    "gc heap", "sys_heap (kernel heap)", "sys_page (user pages)",
    "sys_mmz (multimedia)"};

dg_state dg_check_state(const dg_verdict *v, int pool, int check) {
  switch (check) {
  case DG_CHECK_LEAK:
    return v->leak.state;
  case DG_CHECK_FRAG:
    return v->frag.state;
  case DG_CHECK_SPIKES:
    return v->spikes.state;
  default:
    return pool == DG_GC ? v->pauses.state : DG_UNKNOWN;
  }
}

/* Signed bytes for people: "+1.41 MiB", "-512 B". */
static void sbytes(double v, char *out, size_t len) {
  if (len < 2)
    return;
  out[0] = v < 0 ? '-' : '+';
  units_format_bytes((uint64_t)fabs(v), out + 1, len - 1);
}

static void leak_summary(const dg_leak *l, char *out, size_t len) {
  char rate[40], lo[40], run[48] = "";

  if (l->state == DG_UNKNOWN) {
    snprintf(out, len, "unknown (%zu baseline points; need 5)", l->points);
    return;
  }
  sbytes(l->per_s * 60, rate, sizeof rate);
  sbytes(l->lo_per_s * 60, lo, sizeof lo);
  if (!isnan(l->per_run)) {
    char pr[32];
    sbytes(l->per_run, pr, sizeof pr);
    snprintf(run, sizeof run, ", %s per run", pr);
  }
  snprintf(out, len, "%s baseline %s/min (99.9%% lower bound %s/min)%s, %zu %s",
           l->state == DG_FINDING ? "LEAK:" : "ok:", rate, lo, run, l->points,
           l->basis);
}

static void frag_summary(const dg_frag *f, int pool, char *out, size_t len) {
  char a[32], b[32];

  if (f->state == DG_UNKNOWN) {
    if (pool != DG_GC || f->points >= 5)
      snprintf(out, len, "unknown (no largest-free data)");
    else
      snprintf(out, len, "unknown (%zu points; need 5)", f->points);
    return;
  }
  units_format_bytes((uint64_t)fmax(f->largest_start, 0), a, sizeof a);
  units_format_bytes((uint64_t)fmax(f->largest_end, 0), b, sizeof b);
  snprintf(out, len,
           "%s index %.2f -> %.2f, largest free %s -> %s, free %+.1f%%",
           f->state == DG_FINDING ? "FRAGMENTATION:" : "ok:", f->index_start,
           f->index_end, a, b, f->free_change * 100);
}

static void spikes_summary(const dg_spikes *s, int pool, char *out,
                           size_t len) {
  char d[32], t[32];

  if (s->state == DG_UNKNOWN) {
    snprintf(out, len, "%s",
             pool == DG_GC ? "unknown (needs watermarks: gc garbage hides "
                             "short spikes between samples)"
                           : "unknown");
    return;
  }
  units_format_bytes((uint64_t)s->deepest, d, sizeof d);
  units_format_bytes((uint64_t)s->threshold, t, sizeof t);
  if (s->count == 0)
    snprintf(out, len, "ok: none >= %s (%s)", t,
             s->from_watermarks ? "watermarks"
                                : "sampled; shorter spikes need watermarks");
  else
    snprintf(out, len, "%s %zu of >= %s, deepest %s (%s)",
             s->state == DG_FINDING ? "SPIKES:" : "ok:", s->count, t, d,
             s->from_watermarks ? "watermarks below the sampled minimum"
                                : "one-sample excursions");
}

static void pauses_summary(const dg_pauses *p, char *out, size_t len) {
  const char *w = p->state == DG_FINDING ? "PAUSES:" : "ok:";

  if (p->state == DG_UNKNOWN) {
    snprintf(out, len, "unknown (no collection counter)");
  } else if (p->pause_known) {
    char a[24], b[24], c[24];
    units_format_duration_us((uint64_t)p->p50_us, a, sizeof a);
    units_format_duration_us((uint64_t)p->p99_us, b, sizeof b);
    units_format_duration_us((uint64_t)p->max_us, c, sizeof c);
    snprintf(out, len,
             "%s p50 %s, p99 %s, max %s; %.1f collections/s, %.1f%% of the "
             "time",
             w, a, b, c, p->per_s, p->share * 100);
  } else {
    snprintf(out, len,
             "%s %.1f collections/s (%zu); pause p50/p99/max unknown "
             "(no collection records)",
             w, p->per_s, p->count);
  }
}

void dg_summary(const dg_verdict *v, int pool, int check, char *out,
                size_t len) {
  switch (check) {
  case DG_CHECK_LEAK:
    leak_summary(&v->leak, out, len);
    break;
  case DG_CHECK_FRAG:
    frag_summary(&v->frag, pool, out, len);
    break;
  case DG_CHECK_SPIKES:
    spikes_summary(&v->spikes, pool, out, len);
    break;
  default:
    if (pool == DG_GC)
      pauses_summary(&v->pauses, out, len);
    else
      snprintf(out, len, "n/a");
  }
}

static const char *state_word(dg_state s) {
  return s == DG_FINDING ? "finding" : s == DG_OK ? "ok" : "unknown";
}

/* JSON numbers: NaN is not one; such fields are left out. */
static void w_num(writer *w, const char *key, double v) {
  if (isnan(v) || isinf(v))
    return;
  w_i64(w, key, (int64_t)llround(v));
}

/* A ratio as parts per million (as alarm rules give the fragmentation
 * index): the writers have no fractional numbers. */
static void w_ppm(writer *w, const char *key, double v) {
  w_num(w, key, v * 1e6);
}

static void emit_detail(writer *w, const dg_verdict *v, int pool, int check) {
  switch (check) {
  case DG_CHECK_LEAK:
    w_str(w, "basis", v->leak.basis ? v->leak.basis : "");
    w_u64(w, "points", v->leak.points);
    if (v->leak.state == DG_UNKNOWN)
      break;
    w_num(w, "bytes_per_min", v->leak.per_s * 60);
    w_num(w, "bytes_per_min_low", v->leak.lo_per_s * 60);
    w_num(w, "bytes_per_min_high", v->leak.hi_per_s * 60);
    w_num(w, "bytes_per_run", v->leak.per_run);
    w_num(w, "growth", v->leak.growth);
    break;
  case DG_CHECK_FRAG:
    w_u64(w, "points", v->frag.points);
    if (v->frag.state == DG_UNKNOWN)
      break;
    w_ppm(w, "index_start_ppm", v->frag.index_start);
    w_ppm(w, "index_end_ppm", v->frag.index_end);
    w_num(w, "largest_free_start", v->frag.largest_start);
    w_num(w, "largest_free_end", v->frag.largest_end);
    w_ppm(w, "free_change_ppm", v->frag.free_change);
    break;
  case DG_CHECK_SPIKES:
    w_bool(w, "from_watermarks", v->spikes.from_watermarks);
    w_u64(w, "count", v->spikes.count);
    w_num(w, "deepest", v->spikes.deepest);
    w_num(w, "threshold", v->spikes.threshold);
    break;
  default:
    if (pool != DG_GC)
      break;
    w_bool(w, "pause_known", v->pauses.pause_known);
    w_u64(w, "collections", v->pauses.count);
    w_num(w, "per_min", v->pauses.per_s * 60);
    w_num(w, "p50_us", v->pauses.p50_us);
    w_num(w, "p99_us", v->pauses.p99_us);
    w_num(w, "max_us", v->pauses.max_us);
    w_ppm(w, "share_ppm", v->pauses.share);
  }
}

void dg_emit_report(writer *w, const dg_report *r, const char *input,
                    bool detail) {
  char line[256];

  w->ops->begin(w);
  w_str(w, "input", input);
  w_u64(w, "samples", r->samples);
  w_duration(w, "duration_us", (uint64_t)llround(r->duration_s * 1e6));
  w_u64(w, "findings", r->findings);
  w_str(w, "verdict", r->findings ? "findings" : "healthy");
  w->ops->group(w, "pools");
  for (int p = 0; p < DG_POOLS; p++) {
    const dg_verdict *v = &r->pool[p];
    if (!v->present)
      continue;
    w->ops->group(w, dg_pool_names[p]);
    if (detail)
      w_num(w, "total", v->total);
    for (int c = 0; c < DG_CHECKS; c++) {
      if (c == DG_CHECK_PAUSES && p != DG_GC)
        continue;
      dg_summary(v, p, c, line, sizeof line);
      if (!detail) {
        w_str(w, dg_check_names[c], line);
        continue;
      }
      w->ops->group(w, dg_check_names[c]);
      w_str(w, "state", state_word(dg_check_state(v, p, c)));
      w_str(w, "summary", line);
      emit_detail(w, v, p, c);
      w->ops->group_end(w);
    }
    w->ops->group_end(w);
  }
  w->ops->group_end(w);
  w->ops->end(w);
}
