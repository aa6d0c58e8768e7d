/* Sample series for the compact-stream tests (see compact_traces.h). */
#include "compact_traces.h"

#include "gcmon/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *const trace_names[3] = {"sim", "heavy", "micropython"};

static uint64_t next_rand(trace *t) {
  uint64_t x = t->rand;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  t->rand = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static int load_csv(trace *t, const char *path) {
  FILE *f = fopen(path, "r");
  char line[256];
  size_t n = 0;
  if (!f)
    return GCMON_EIO;
  if (!fgets(line, sizeof line, f)) { /* the header */
    fclose(f);
    return GCMON_EPARSE;
  }
  while (n < TRACE_MP_ROWS && fgets(line, sizeof line, f)) {
    gcmon_sample *s = &t->rows[n];
    int enabled;
    memset(s, 0, sizeof *s);
    if (sscanf(line,
               "%" SCNu64 ",%" SCNd64 ",%" SCNd64 ",%" SCNd64 ",%d,%" SCNu64
               ",%" SCNd64,
               &s->uptime_us, &s->gc.mem_alloc, &s->gc.mem_free,
               &s->gc.threshold, &enabled, &s->gc.collections,
               &s->gc.largest_free) != 7)
      break;
    s->has_gc = true;
    s->gc.enabled = enabled != 0;
    n++;
  }
  fclose(f);
  return n == TRACE_MP_ROWS ? 0 : GCMON_EPARSE;
}

int trace_open(trace *t, trace_kind kind, const char *mp_csv) {
  gcmon_source_config cfg = {.name = "sim", .seed = 7};
  char err[128];
  memset(t, 0, sizeof *t);
  t->kind = kind;
  t->rand = 0x230230230ull;
  if (kind == TRACE_MICROPYTHON)
    return load_csv(t, mp_csv);
  cfg.workload = kind == TRACE_HEAVY ? "heavy" : "default";
  return gcmon_source_open(&t->src, &cfg, err, sizeof err);
}

void trace_close(trace *t) {
  if (t->src)
    gcmon_source_close(t->src);
  t->src = NULL;
}

/* What users do to a board now and then, at fixed points of the run. */
static void interfere(trace *t, uint64_t now) {
  int64_t freed;
  uint64_t took;
  if (t->seq % 1000 == 500)
    t->src->ops->collect(t->src, now, &freed, &took);
  if (t->seq == 30000)
    t->src->ops->set_threshold(t->src, 256 * 1024 + 16);
  if (t->seq == 50000)
    t->src->ops->set_enabled(t->src, false);
  if (t->seq == 52000)
    t->src->ops->set_enabled(t->src, true);
}

void trace_next(trace *t, gcmon_sample *out) {
  t->seq++;
  if (t->kind == TRACE_MICROPYTHON) {
    uint64_t lap = (t->seq - 1) / TRACE_MP_ROWS;
    const gcmon_sample *row = &t->rows[(t->seq - 1) % TRACE_MP_ROWS];
    uint64_t span = t->rows[TRACE_MP_ROWS - 1].uptime_us -
                    t->rows[0].uptime_us + TRACE_PERIOD_US;
    *out = *row;
    out->uptime_us += lap * span;
  } else {
    uint64_t now = 1000000u + t->seq * TRACE_PERIOD_US +
                   next_rand(t) % 1400u - 700u;
    interfere(t, now);
    memset(out, 0, sizeof *out);
    t->src->ops->read(t->src, now, out);
  }
  out->seq = t->seq;
}
