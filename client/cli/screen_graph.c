/* The graphs of `gcmon watch` (see screen.h): the sample series they are
 * drawn from, a one-line sparkline, the scale and span that make it
 * readable (min .. max, and the time the cells cover), and taller
 * per-pool graphs, each row a band of the value range. Every graph is
 * scaled between the min and max of what it shows, so the scale is
 * always printed beside it. */
#include "screen.h"
#include "units.h"

#include <string.h>

static const char *const blocks[] = {" ",
                                     "\xe2\x96\x81",
                                     "\xe2\x96\x82",
                                     "\xe2\x96\x83",
                                     "\xe2\x96\x84",
                                     "\xe2\x96\x85",
                                     "\xe2\x96\x86",
                                     "\xe2\x96\x87",
                                     "\xe2\x96\x88"};
static const char ascii[] = " _.-~=*#@";

static int64_t series_value(const gcmon_sample *s, int k) {
  switch (k) {
  case SERIES_GC:
    return s->has_gc && s->gc.mem_alloc >= 0 ? s->gc.mem_alloc : -1;
  case SERIES_HEAP:
    return s->has_sys_heap ? (int64_t)s->sys_heap.used : -1;
  case SERIES_PAGE:
    return s->has_sys_page ? (int64_t)s->sys_page.used : -1;
  case SERIES_MMZ:
    return s->has_sys_mmz ? (int64_t)s->sys_mmz.used : -1;
  default:
    return -1;
  }
}

static void move_up(screen_series *s, int from, int count, int by) {
  for (int k = 0; k < SERIES_COUNT; k++)
    memmove(&s->v[k][from + by], &s->v[k][from],
            (size_t)count * sizeof s->v[k][0]);
  memmove(&s->seq[from + by], &s->seq[from], (size_t)count * sizeof s->seq[0]);
  memmove(&s->uptime_us[from + by], &s->uptime_us[from],
          (size_t)count * sizeof s->uptime_us[0]);
}

void screen_series_add(screen_series *s, const gcmon_sample *sample) {
  int i;
  for (i = s->n; i > 0 && s->seq[i - 1] > sample->seq; i--)
    ;
  if (i > 0 && s->seq[i - 1] == sample->seq)
    return;
  if (s->n == SCREEN_SERIES_MAX) {
    if (i == 0)
      return;                 /* older than everything kept */
    move_up(s, 1, i - 1, -1); /* drop the oldest */
    i--;
  } else {
    move_up(s, i, s->n - i, 1);
    s->n++;
  }
  for (int k = 0; k < SERIES_COUNT; k++)
    s->v[k][i] = series_value(sample, k);
  s->seq[i] = sample->seq;
  s->uptime_us[i] = sample->uptime_us;
}

/* Indices of the last `width` present values of series k, oldest first;
 * returns how many, and their min and max. */
static int window(const screen_series *s, int k, int width, int *idx,
                  int64_t *lo, int64_t *hi) {
  int n = 0;
  for (int i = s->n - 1; i >= 0 && n < width; i--)
    if (s->v[k][i] >= 0)
      idx[n++] = i;
  for (int a = 0, b = n - 1; a < b; a++, b--) {
    int t = idx[a];
    idx[a] = idx[b];
    idx[b] = t;
  }
  *lo = *hi = n ? s->v[k][idx[0]] : 0;
  for (int j = 0; j < n; j++) {
    int64_t v = s->v[k][idx[j]];
    *lo = v < *lo ? v : *lo;
    *hi = v > *hi ? v : *hi;
  }
  return n;
}

/* eighths: 0..8 per row of a graph of `height` rows */
static int level(int64_t v, int64_t lo, int64_t hi, int height) {
  if (hi <= lo)
    return height * 4; /* flat: a half-height line */
  return 1 +
         (int)((double)(v - lo) * (double)(height * 8 - 1) / (double)(hi - lo) +
               0.5);
}

static size_t put_cell(char *out, size_t k, size_t len, int eighths,
                       bool utf8) {
  if (eighths < 0)
    eighths = 0;
  if (eighths > 8)
    eighths = 8;
  if (utf8) {
    const char *b = blocks[eighths];
    size_t l = strlen(b);
    if (k + l < len) {
      memcpy(out + k, b, l);
      k += l;
    }
  } else if (k + 1 < len) {
    out[k++] = ascii[eighths];
  }
  return k;
}

void screen_graph_row(const screen_series *s, int k, int width, int height,
                      int r, bool utf8, char *out, size_t len) {
  int idx[SCREEN_SERIES_MAX];
  int64_t lo, hi;
  size_t o = 0;
  int n;

  if (width > SCREEN_SERIES_MAX)
    width = SCREEN_SERIES_MAX;
  n = width > 0 ? window(s, k, width, idx, &lo, &hi) : 0;
  for (int j = 0; j < n; j++) {
    int lv = level(s->v[k][idx[j]], lo, hi, height);
    /* this row holds eighths (height-1-r)*8 .. (height-r)*8 */
    o = put_cell(out, o, len, lv - (height - 1 - r) * 8, utf8);
  }
  out[o] = '\0';
}

/* A sparkline is a graph one row tall. */
void screen_sparkline(const screen_series *s, int k, int width, bool utf8,
                      char *out, size_t len, int *drawn) {
  int idx[SCREEN_SERIES_MAX];
  int64_t lo, hi;
  if (width > SCREEN_SERIES_MAX)
    width = SCREEN_SERIES_MAX;
  *drawn = width > 0 ? window(s, k, width, idx, &lo, &hi) : 0;
  screen_graph_row(s, k, width, 1, 0, utf8, out, len);
}

static void figure(const screen_model *m, int64_t v, char *out, size_t len) {
  if (m->raw_bytes)
    snprintf(out, len, "%lld", (long long)v);
  else
    units_format_bytes((uint64_t)(v < 0 ? 0 : v), out, len);
}

void screen_scale(const screen_model *m, int k, int drawn, char *out,
                  size_t len) {
  int idx[SCREEN_SERIES_MAX];
  int64_t lo, hi;
  char a[32], b[32];
  int n = window(m->series, k, drawn, idx, &lo, &hi);
  double span;

  if (n == 0) {
    snprintf(out, len, "%s", "no samples yet");
    return;
  }
  span = (double)(m->series->uptime_us[idx[n - 1]] -
                  m->series->uptime_us[idx[0]]) /
         1e6;
  figure(m, lo, a, sizeof a);
  figure(m, hi, b, sizeof b);
  snprintf(out, len, "%d sample%s over %.1f s, %s .. %s", n, n == 1 ? "" : "s",
           span, a, b);
}
