/* The full-screen picture of `gcmon watch` (see screen.h). Redrawn in
 * place: cursor home, every line clears to its end before it is written,
 * and the rest of the screen is cleared after the last line, so nothing
 * flickers and nothing stale remains after a resize.
 *
 * Everything fits the terminal's width: the bars take what the figures
 * beside them leave (up to BAR_MAX cells), and lines of several fields
 * (header, gc state, link health) continue on an indented next line
 * instead of running off the edge. Only a terminal too narrow for one
 * field cuts it. */
#include "screen.h"
#include "units.h"

#include <stdarg.h>
#include <string.h>

#define LINE_MAX    1024
#define BAR_MAX     40
#define BAR_MIN     4  /* narrower than this, no bar at all */
#define NAME_CELLS  10 /* "sys_heap  " */
#define FIELDS_MAX  8
#define FIELD_BYTES 96

/* Terminal cells of UTF-8 text (one per code point: no wide characters
 * are ever printed). */
static int cells(const char *s) {
  int w = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xC0) != 0x80)
      w++;
  return w;
}

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
  /* Clearing first: after a line of exactly cols cells the cursor waits
   * in the last column, where clearing would erase that cell. */
  fprintf(f, "\033[K%s\n", buf);
  (*row)++;
}

/* Print first followed by the fields, two spaces apart, continuing on a
 * new line indented by indent cells when the next field would not fit. */
static void flow(FILE *f, int cols, int *row, int rows, const char *first,
                 int indent, char fields[][FIELD_BYTES], int n) {
  char buf[LINE_MAX];
  size_t len = (size_t)snprintf(buf, sizeof buf, "%s", first);
  bool empty = true; /* no field on this line yet */

  for (int i = 0; i < n; i++) {
    if (!empty && cells(buf) + 2 + cells(fields[i]) > cols) {
      line(f, cols, row, rows, "%s", buf);
      len = (size_t)snprintf(buf, sizeof buf, "%*s", indent, "");
      empty = true;
    }
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                            empty ? "" : "  ", fields[i]);
    if (len >= sizeof buf)
      len = sizeof buf - 1;
    empty = false;
  }
  line(f, cols, row, rows, "%s", buf);
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

/* How the bar lines are laid out: bar cells (0: no bar), and whether the
 * figures beside them are the short form (used / total). */
typedef struct layout {
  int bw;
  bool compact;
} layout;

/* A pool's figures beside its bar. */
static void pool_figures(const screen_model *m, const gcmon_mem_info *p,
                         bool compact, char *out, size_t len) {
  char used[32], free_[32], total[32];
  double pct = p->total ? 100.0 * (double)p->used / (double)p->total : 0.0;
  bytes(m, p->used, used, sizeof used);
  bytes(m, p->free, free_, sizeof free_);
  bytes(m, p->total, total, sizeof total);
  if (compact)
    snprintf(out, len, "%5.1f%%  %s / %s", pct, used, total);
  else
    snprintf(out, len, "%5.1f%%  used %s  free %s  of %s", pct, used, free_,
             total);
}

static uint64_t gc_heap_size(const gcmon_gc_info *g) {
  return g->mem_alloc >= 0 && g->mem_free >= 0
             ? (uint64_t)g->mem_alloc + (uint64_t)g->mem_free
             : 0;
}

static void gc_figures(const screen_model *m, bool compact, char *out,
                       size_t len) {
  const gcmon_gc_info *g = &m->last->gc;
  uint64_t heap = gc_heap_size(g);
  double pct = heap ? 100.0 * (double)g->mem_alloc / (double)heap : 0.0;
  char a[32], fr[32];
  bytes(m, g->mem_alloc > 0 ? (uint64_t)g->mem_alloc : 0, a, sizeof a);
  if (g->mem_free >= 0)
    bytes(m, (uint64_t)g->mem_free, fr, sizeof fr);
  else
    snprintf(fr, sizeof fr, "unknown");
  if (compact)
    snprintf(out, len, "%5.1f%%  alloc %s", pct, a);
  else
    snprintf(out, len, "%5.1f%%  alloc %s  free %s", pct, a, fr);
}

/* "name [bar] figures" with a bar of bw cells (none when bw is 0). */
static void bar_line(FILE *f, const screen_model *m, int cols, int *row,
                     int rows, const char *name, uint64_t used, uint64_t total,
                     int bw, const char *figures) {
  char b[LINE_MAX / 2] = "";
  if (bw > 0)
    bar(m, used, total, bw, b, sizeof b);
  line(f, cols, row, rows, "%-9s %s%s%s", name, b, bw > 0 ? " " : "", figures);
}

static void gc_lines(FILE *f, const screen_model *m, int cols, int *row,
                     int rows, layout lay) {
  const gcmon_gc_info *g = &m->last->gc;
  char figures[LINE_MAX / 2], sp[LINE_MAX / 2], th[32], lf[32];
  char fields[FIELDS_MAX][FIELD_BYTES];

  gc_figures(m, lay.compact, figures, sizeof figures);
  bar_line(f, m, cols, row, rows, "gc heap",
           g->mem_alloc > 0 ? (uint64_t)g->mem_alloc : 0, gc_heap_size(g),
           lay.bw, figures);
  if (g->threshold >= 0)
    bytes(m, (uint64_t)g->threshold, th, sizeof th);
  else
    snprintf(th, sizeof th, "off");
  if (g->largest_free >= 0)
    bytes(m, (uint64_t)g->largest_free, lf, sizeof lf);
  else
    snprintf(lf, sizeof lf, "unknown");
  snprintf(fields[0], FIELD_BYTES, "threshold %s", th);
  snprintf(fields[1], FIELD_BYTES, "enabled %s", g->enabled ? "yes" : "no");
  snprintf(fields[2], FIELD_BYTES, "collections %llu",
           (unsigned long long)g->collections);
  snprintf(fields[3], FIELD_BYTES, "largest free %s", lf);
  flow(f, cols, row, rows, "          ", NAME_CELLS, fields, 4);
  screen_sparkline(m->spark, m->nspark, cols > 40 ? cols - 30 : 10, m->utf8, sp,
                   sizeof sp);
  line(f, cols, row, rows, "          alloc %s  (last %d)", sp, m->nspark);
}

/* Cells a figure of at most max bytes may take: the widest text
 * units_format_bytes() makes ("1023.99 KiB"), or max's digits (--bytes).
 * Reserving the most a figure can need keeps the bars from changing
 * width from one sample to the next. */
static int byte_cells(const screen_model *m, uint64_t max) {
  char b[32];
  if (!m->raw_bytes)
    return 11;
  return snprintf(b, sizeof b, "%llu", (unsigned long long)max);
}

/* The widest bar that leaves room for every bar line's figures, laid out
 * as pool_figures() and gc_figures() do ("100.0%" is 6 cells). */
static int bar_width(const screen_model *m, int cols, bool compact) {
  const gcmon_sample *s = m->last;
  const struct {
    bool has;
    const gcmon_mem_info *p;
  } pools[] = {{s->has_sys_heap, &s->sys_heap},
               {s->has_sys_page, &s->sys_page},
               {s->has_sys_mmz, &s->sys_mmz}};
  int widest = 0, bw;

  if (s->has_gc) {
    int v = byte_cells(m, gc_heap_size(&s->gc));
    widest = compact ? 6 + 8 + v : 6 + 8 + v + 7 + v;
  }
  for (size_t i = 0; i < sizeof pools / sizeof pools[0]; i++) {
    char total[32];
    int v, w;
    if (!pools[i].has)
      continue;
    bytes(m, pools[i].p->total, total, sizeof total);
    v = byte_cells(m, pools[i].p->total);
    w = compact ? 6 + 2 + v + 3 + cells(total)
                : 6 + 7 + v + 7 + v + 5 + cells(total);
    widest = w > widest ? w : widest;
  }
  bw = cols - NAME_CELLS - widest - 3; /* brackets and a space */
  return bw > BAR_MAX ? BAR_MAX : bw < BAR_MIN ? 0 : bw;
}

/* Full figures when a bar still fits beside them, else the short ones. */
static layout plan(const screen_model *m, int cols) {
  layout lay = {0, false};
  if (!m->last)
    return lay;
  lay.bw = bar_width(m, cols, false);
  if (lay.bw == 0) {
    lay.compact = true;
    lay.bw = bar_width(m, cols, true);
  }
  return lay;
}

static void pools(FILE *f, const screen_model *m, int cols, int *row, int rows,
                  layout lay) {
  const gcmon_sample *s = m->last;
  const struct {
    const char *name;
    bool has;
    const gcmon_mem_info *p;
  } p[] = {{"sys_heap", s->has_sys_heap, &s->sys_heap},
           {"sys_page", s->has_sys_page, &s->sys_page},
           {"sys_mmz", s->has_sys_mmz, &s->sys_mmz}};
  char figures[LINE_MAX / 2];

  for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
    if (!p[i].has)
      continue;
    pool_figures(m, p[i].p, lay.compact, figures, sizeof figures);
    bar_line(f, m, cols, row, rows, p[i].name, p[i].p->used, p[i].p->total,
             lay.bw, figures);
  }
}

static void link_lines(FILE *f, const screen_model *m, int cols, int *row,
                       int rows) {
  const gcmon_link_stats *l = m->link;
  char fields[FIELDS_MAX][FIELD_BYTES], disc[32];

  bytes(m, l->bytes_discarded, disc, sizeof disc);
  snprintf(fields[0], FIELD_BYTES, "frames in %llu out %llu",
           (unsigned long long)l->frames_in, (unsigned long long)l->frames_out);
  snprintf(fields[1], FIELD_BYTES, "crc errors %llu",
           (unsigned long long)l->crc_errors);
  snprintf(fields[2], FIELD_BYTES, "dropped %llu",
           (unsigned long long)l->frames_dropped);
  snprintf(fields[3], FIELD_BYTES, "discarded %s", disc);
  snprintf(fields[4], FIELD_BYTES, "seq gaps %llu (%llu missed)",
           (unsigned long long)l->seq_gaps, (unsigned long long)l->seq_missing);
  snprintf(fields[5], FIELD_BYTES, "reconnects %llu",
           (unsigned long long)(l->connects > 0 ? l->connects - 1 : 0));
  flow(f, cols, row, rows, "link  ", 6, fields, 6);
}

void screen_draw(FILE *f, const screen_model *m, int cols, int rows) {
  const gcmon_sample *s = m->last;
  char fields[FIELDS_MAX][FIELD_BYTES];
  layout lay = plan(m, cols);
  int row = 0;

  fputs("\033[H", f);
  snprintf(fields[0], FIELD_BYTES, "%s", m->target);
  snprintf(fields[1], FIELD_BYTES, "%s", m->info->daemon);
  snprintf(fields[2], FIELD_BYTES, "source %s", m->info->source);
  snprintf(fields[3], FIELD_BYTES, "device %s", m->info->device_id);
  flow(f, cols, &row, rows, "gcmon watch  ", 13, fields, 4);
  if (s) {
    snprintf(fields[0], FIELD_BYTES, "seq %llu", (unsigned long long)s->seq);
    snprintf(fields[1], FIELD_BYTES, "uptime %.1f s",
             (double)s->uptime_us / 1e6);
    snprintf(fields[2], FIELD_BYTES, "every %u ms", (unsigned)m->interval_ms);
    snprintf(fields[3], FIELD_BYTES, "[%s]", m->state);
    flow(f, cols, &row, rows, "", 0, fields, 4);
  } else {
    line(f, cols, &row, rows, "waiting for the first sample  [%s]", m->state);
  }
  line(f, cols, &row, rows, "%s", "");
  if (s && s->has_gc)
    gc_lines(f, m, cols, &row, rows, lay);
  if (s)
    pools(f, m, cols, &row, rows, lay);
  if (s && s->sys_total) {
    char t[32];
    bytes(m, s->sys_total, t, sizeof t);
    line(f, cols, &row, rows, "%-9s %s", "sys_total", t);
  }
  line(f, cols, &row, rows, "%s", "");
  link_lines(f, m, cols, &row, rows);
  line(f, cols, &row, rows, "%s", "");
  if (m->alarm)
    line(f, cols, &row, rows, "%s", m->alarm);
  line(f, cols, &row, rows, "%s", "q quit");
  fputs("\033[J", f);
  fflush(f);
}
