/* The full-screen picture of `gcmon watch` (see screen.h). Redrawn in
 * place: cursor home, every line ends by clearing to its end, and the
 * rest of the screen is cleared after the last line, so nothing flickers
 * and nothing stale remains after a resize. */
#include "screen.h"
#include "units.h"

#include <stdarg.h>
#include <string.h>

#define LINE_MAX 1024

/* Print one line, cut to cols cells. */
static void line(FILE *f, int cols, int *row, int rows, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void line(FILE *f, int cols, int *row, int rows, const char *fmt, ...) {
  char buf[LINE_MAX];
  va_list ap;
  int w = 0;
  size_t i;

  if (*row >= rows)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  for (i = 0; buf[i]; i++) {
    if (((unsigned char)buf[i] & 0xC0) != 0x80 && ++w > cols)
      break;
  }
  buf[i] = '\0';
  fprintf(f, "%s\033[K\n", buf);
  (*row)++;
}

static void bytes(const screen_model *m, uint64_t v, char *out, size_t len) {
  if (m->raw_bytes)
    snprintf(out, len, "%llu", (unsigned long long)v);
  else
    units_format_bytes(v, out, len);
}

static void bar(const screen_model *m, uint64_t used, uint64_t total, int width,
                char *out, size_t len) {
  int fill =
      total ? (int)((double)width * (double)used / (double)total + 0.5) : 0;
  size_t n = 0;
  if (fill > width)
    fill = width;
  out[n++] = '[';
  for (int i = 0; i < width && n + 4 < len; i++) {
    const char *ch = i < fill ? (m->utf8 ? "\xe2\x96\x88" : "#")
                              : (m->utf8 ? "\xe2\x96\x91" : ".");
    size_t l = strlen(ch);
    memcpy(out + n, ch, l);
    n += l;
  }
  out[n++] = ']';
  out[n] = '\0';
}

void screen_sparkline(const int64_t *v, int n, int width, bool utf8, char *out,
                      size_t len) {
  static const char *const blocks[] = {
      "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
      "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
  static const char ascii[] = "_.-~=*#@";
  int64_t lo, hi;
  int start = n > width ? n - width : 0;
  size_t k = 0;

  out[0] = '\0';
  if (n == 0)
    return;
  lo = hi = v[start];
  for (int i = start; i < n; i++) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  for (int i = start; i < n && k + 4 < len; i++) {
    int level = hi > lo
                    ? (int)((double)(v[i] - lo) * 7.0 / (double)(hi - lo) + 0.5)
                    : 0;
    if (utf8) {
      memcpy(out + k, blocks[level], 3);
      k += 3;
    } else {
      out[k++] = ascii[level];
    }
  }
  out[k] = '\0';
}

static void pool(FILE *f, const screen_model *m, int cols, int *row, int rows,
                 const char *name, const gcmon_mem_info *p, int bw) {
  char b[LINE_MAX / 2], used[32], free_[32], total[32];
  bar(m, p->used, p->total, bw, b, sizeof b);
  bytes(m, p->used, used, sizeof used);
  bytes(m, p->free, free_, sizeof free_);
  bytes(m, p->total, total, sizeof total);
  line(f, cols, row, rows, "%-9s %s %5.1f%%  used %s  free %s  of %s", name, b,
       p->total ? 100.0 * (double)p->used / (double)p->total : 0.0, used, free_,
       total);
}

static void gc_lines(FILE *f, const screen_model *m, int cols, int *row,
                     int rows, int bw) {
  const gcmon_gc_info *g = &m->last->gc;
  char b[LINE_MAX / 2], a[32], fr[32], th[32], lf[32], sp[LINE_MAX / 2];
  uint64_t heap = g->mem_alloc >= 0 && g->mem_free >= 0
                      ? (uint64_t)g->mem_alloc + (uint64_t)g->mem_free
                      : 0;

  bar(m, g->mem_alloc > 0 ? (uint64_t)g->mem_alloc : 0, heap, bw, b, sizeof b);
  bytes(m, g->mem_alloc > 0 ? (uint64_t)g->mem_alloc : 0, a, sizeof a);
  if (g->mem_free >= 0)
    bytes(m, (uint64_t)g->mem_free, fr, sizeof fr);
  else
    snprintf(fr, sizeof fr, "unknown");
  if (g->threshold >= 0)
    bytes(m, (uint64_t)g->threshold, th, sizeof th);
  else
    snprintf(th, sizeof th, "off");
  if (g->largest_free >= 0)
    bytes(m, (uint64_t)g->largest_free, lf, sizeof lf);
  else
    snprintf(lf, sizeof lf, "unknown");
  line(f, cols, row, rows, "%-9s %s %5.1f%%  alloc %s  free %s", "gc heap", b,
       heap ? 100.0 * (double)g->mem_alloc / (double)heap : 0.0, a, fr);
  line(f, cols, row, rows,
       "          threshold %s  enabled %s  collections %llu  largest free "
       "%s",
       th, g->enabled ? "yes" : "no", (unsigned long long)g->collections, lf);
  screen_sparkline(m->spark, m->nspark, cols > 40 ? cols - 30 : 10, m->utf8, sp,
                   sizeof sp);
  line(f, cols, row, rows, "          alloc %s  (last %d)", sp, m->nspark);
}

void screen_draw(FILE *f, const screen_model *m, int cols, int rows) {
  const gcmon_sample *s = m->last;
  const gcmon_link_stats *l = m->link;
  int row = 0, bw = cols > 100 ? 40 : cols > 60 ? cols - 60 : 10;
  char disc[32];

  fputs("\033[H", f);
  line(f, cols, &row, rows, "gcmon watch  %s  %s  source %s  device %s",
       m->target, m->info->daemon, m->info->source, m->info->device_id);
  if (s)
    line(f, cols, &row, rows, "seq %llu  uptime %.1f s  every %u ms  [%s]",
         (unsigned long long)s->seq, (double)s->uptime_us / 1e6,
         (unsigned)m->interval_ms, m->state);
  else
    line(f, cols, &row, rows, "waiting for the first sample  [%s]", m->state);
  line(f, cols, &row, rows, "%s", "");
  if (s && s->has_gc)
    gc_lines(f, m, cols, &row, rows, bw);
  if (s && s->has_sys_heap)
    pool(f, m, cols, &row, rows, "sys_heap", &s->sys_heap, bw);
  if (s && s->has_sys_page)
    pool(f, m, cols, &row, rows, "sys_page", &s->sys_page, bw);
  if (s && s->has_sys_mmz)
    pool(f, m, cols, &row, rows, "sys_mmz", &s->sys_mmz, bw);
  if (s && s->sys_total) {
    char t[32];
    bytes(m, s->sys_total, t, sizeof t);
    line(f, cols, &row, rows, "%-9s %s", "sys_total", t);
  }
  line(f, cols, &row, rows, "%s", "");
  bytes(m, l->bytes_discarded, disc, sizeof disc);
  line(f, cols, &row, rows,
       "link  frames in %llu out %llu  crc errors %llu  dropped %llu  "
       "discarded %s  seq gaps %llu (%llu missed)  reconnects %llu",
       (unsigned long long)l->frames_in, (unsigned long long)l->frames_out,
       (unsigned long long)l->crc_errors, (unsigned long long)l->frames_dropped,
       disc, (unsigned long long)l->seq_gaps,
       (unsigned long long)l->seq_missing,
       (unsigned long long)(l->connects > 0 ? l->connects - 1 : 0));
  line(f, cols, &row, rows, "%s", "");
  line(f, cols, &row, rows, "%s", "q quit");
  fputs("\033[J", f);
  fflush(f);
}
