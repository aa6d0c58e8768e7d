/* The full-screen picture of `gcmon watch` (see screen.h). Redrawn in
 * place: cursor home, every line clears to its end before it is written,
 * and the rest of the screen is cleared after the last line, so nothing
 * flickers and nothing stale remains after a resize.
 *
 * Everything fits the terminal's width: the bars take what the figures
 * beside them leave (up to BAR_MAX cells), and lines of several fields
 * (header, gc state, link health) continue on an indented next line
 * instead of running off the edge. Only a terminal too narrow for one
 * field cuts it. Rows left over go to per-pool graphs (or, after ?, the
 * keys' help); the last two rows are the keys and the prompt.
 *
 * Colour (m->colour): a pool's bar and percentage green, yellow from 75 %,
 * red from 90 %; the gc heap's alloc yellow once it passes the threshold;
 * a disabled gc and link errors yellow; a lost link red, with every figure
 * dimmed while it is lost (they are the last known). Without colour the
 * status line alone says the figures are stale. */
#include "screen.h"
#include "units.h"

#include <stdarg.h>
#include <string.h>

#define LINE_MAX       1024
#define BAR_MAX        40
#define BAR_MIN        4  /* narrower than this, no bar at all */
#define NAME_CELLS     10 /* "sys_heap  " */
#define FIELDS_MAX     8
#define FIELD_BYTES    96
#define GRAPH_MIN_ROWS 3 /* shorter graphs are not drawn */
#define GRAPH_MAX_ROWS 12
#define KEYS_LINE                                                              \
  "c collect  t threshold  e enable  d disable  p pause  ? help  q quit"

/* Colours end with "default foreground", not a full reset, so that the
 * dimming of a stale line survives them. */
#define SGR_RED    "\033[31m"
#define SGR_YELLOW "\033[33m"
#define SGR_GREEN  "\033[32m"
#define SGR_BOLD   "\033[1m"
#define SGR_DIM    "\033[2m"
#define SGR_FG_END "\033[39m"
#define SGR_NORMAL "\033[22m"

/* Where the lines go: the terminal's size, the next row, and the style
 * every line starts in (dim while stale). */
typedef struct canvas {
  FILE *f;
  const screen_model *m;
  int cols, rows, row;
  const char *style;
} canvas;

static const char *sgr(const canvas *c, const char *code) {
  return c->m->colour ? code : "";
}

static const char *level_colour(const canvas *c, double pct) {
  return sgr(c, pct >= 90.0 ? SGR_RED : pct >= 75.0 ? SGR_YELLOW : SGR_GREEN);
}

/* Length of the escape sequence at s (0 if none): CSI ... final byte. */
static size_t escape_len(const char *s) {
  size_t n = 2;
  if (s[0] != '\033' || s[1] != '[')
    return 0;
  while (s[n] && !(s[n] >= '@' && s[n] <= '~'))
    n++;
  return s[n] ? n + 1 : n;
}

/* Terminal cells of UTF-8 text (one per code point: no wide characters
 * are ever printed; escape sequences take none). */
static int cells(const char *s) {
  int w = 0;
  while (*s) {
    size_t e = escape_len(s);
    if (e) {
      s += e;
      continue;
    }
    if (((unsigned char)*s & 0xC0) != 0x80)
      w++;
    s++;
  }
  return w;
}

/* Print one line, cut to cols cells. */
static void line(canvas *c, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void line(canvas *c, const char *fmt, ...) {
  char buf[LINE_MAX];
  va_list ap;
  int w = 0;
  size_t i = 0;

  if (c->row >= c->rows)
    return;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  while (buf[i]) {
    size_t e = escape_len(buf + i);
    if (e) {
      i += e;
      continue;
    }
    if (((unsigned char)buf[i] & 0xC0) != 0x80 && ++w > c->cols)
      break;
    i++;
  }
  buf[i] = '\0';
  /* Clearing first: after a line of exactly cols cells the cursor waits
   * in the last column, where clearing would erase that cell. */
  fprintf(c->f, "\033[K%s%s%s\n", c->style, buf, c->m->colour ? "\033[0m" : "");
  c->row++;
}

/* Print first followed by the fields, two spaces apart, continuing on a
 * new line indented by indent cells when the next field would not fit. */
static void flow(canvas *c, const char *first, int indent,
                 char fields[][FIELD_BYTES], int n) {
  char buf[LINE_MAX];
  size_t len = (size_t)snprintf(buf, sizeof buf, "%s", first);
  bool empty = true; /* no field on this line yet */

  for (int i = 0; i < n; i++) {
    if (!empty && cells(buf) + 2 + cells(fields[i]) > c->cols) {
      line(c, "%s", buf);
      len = (size_t)snprintf(buf, sizeof buf, "%*s", indent, "");
      empty = true;
    }
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
                            empty ? "" : "  ", fields[i]);
    if (len >= sizeof buf)
      len = sizeof buf - 1;
    empty = false;
  }
  line(c, "%s", buf);
}

static void bytes(const screen_model *m, uint64_t v, char *out, size_t len) {
  if (m->raw_bytes)
    snprintf(out, len, "%llu", (unsigned long long)v);
  else
    units_format_bytes(v, out, len);
}

static double percent(uint64_t part, uint64_t whole) {
  return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void bar(const canvas *c, uint64_t used, uint64_t total, int width,
                char *out, size_t len) {
  int fill =
      total ? (int)((double)width * (double)used / (double)total + 0.5) : 0;
  bool utf8 = c->m->utf8;
  size_t n =
      (size_t)snprintf(out, len, "[%s", level_colour(c, percent(used, total)));
  if (fill > width)
    fill = width;
  for (int i = 0; i < width && n + 16 < len; i++) {
    const char *ch = i < fill ? (utf8 ? "\xe2\x96\x88" : "#")
                              : (utf8 ? "\xe2\x96\x91" : ".");
    if (i == fill)
      n += (size_t)snprintf(out + n, len - n, "%s", sgr(c, SGR_FG_END));
    n += (size_t)snprintf(out + n, len - n, "%s", ch);
  }
  snprintf(out + n, len - n, "%s]", fill >= width ? sgr(c, SGR_FG_END) : "");
}

/* How the bar lines are laid out: bar cells (0: no bar), and whether the
 * figures beside them are the short form (used / total). */
typedef struct layout {
  int bw;
  bool compact;
} layout;

/* A pool's figures beside its bar. */
static void pool_figures(const canvas *c, const gcmon_mem_info *p, bool compact,
                         char *out, size_t len) {
  char used[32], free_[32], total[32];
  double pct = percent(p->used, p->total);
  bytes(c->m, p->used, used, sizeof used);
  bytes(c->m, p->free, free_, sizeof free_);
  bytes(c->m, p->total, total, sizeof total);
  if (compact)
    snprintf(out, len, "%s%5.1f%%%s  %s / %s", level_colour(c, pct), pct,
             sgr(c, SGR_FG_END), used, total);
  else
    snprintf(out, len, "%s%5.1f%%%s  used %s  free %s  of %s",
             level_colour(c, pct), pct, sgr(c, SGR_FG_END), used, free_, total);
}

static uint64_t gc_heap_size(const gcmon_gc_info *g) {
  return g->mem_alloc >= 0 && g->mem_free >= 0
             ? (uint64_t)g->mem_alloc + (uint64_t)g->mem_free
             : 0;
}

static void gc_figures(const canvas *c, bool compact, char *out, size_t len) {
  const gcmon_gc_info *g = &c->m->last->gc;
  uint64_t heap = gc_heap_size(g);
  double pct = heap ? 100.0 * (double)g->mem_alloc / (double)heap : 0.0;
  bool over = g->threshold >= 0 && g->mem_alloc >= g->threshold;
  char a[32], fr[32];
  bytes(c->m, g->mem_alloc > 0 ? (uint64_t)g->mem_alloc : 0, a, sizeof a);
  if (g->mem_free >= 0)
    bytes(c->m, (uint64_t)g->mem_free, fr, sizeof fr);
  else
    snprintf(fr, sizeof fr, "unknown");
  snprintf(out, len, "%s%5.1f%%%s  alloc %s%s%s%s%s", level_colour(c, pct), pct,
           sgr(c, SGR_FG_END), over ? sgr(c, SGR_YELLOW) : "", a,
           over ? sgr(c, SGR_FG_END) : "", compact ? "" : "  free ",
           compact ? "" : fr);
}

/* "name [bar] figures" with a bar of bw cells (none when bw is 0). */
static void bar_line(canvas *c, const char *name, uint64_t used, uint64_t total,
                     int bw, const char *figures) {
  char b[LINE_MAX / 2] = "";
  if (bw > 0)
    bar(c, used, total, bw, b, sizeof b);
  line(c, "%-9s %s%s%s", name, b, bw > 0 ? " " : "", figures);
}

/* The sparkline of series k and, beneath it, its scale and span. */
static void sparkline(canvas *c, const char *label, int k) {
  char sp[LINE_MAX / 2], scale[128];
  int drawn, width = c->cols - 16;
  screen_sparkline(c->m->series, k, width < 10 ? 10 : width, c->m->utf8, sp,
                   sizeof sp, &drawn);
  screen_scale(c->m, k, drawn, scale, sizeof scale);
  line(c, "          %-5s %s", label, sp);
  line(c, "                %s", scale);
}

static void gc_lines(canvas *c, layout lay) {
  const gcmon_gc_info *g = &c->m->last->gc;
  char figures[LINE_MAX / 2], th[32], lf[32];
  char fields[FIELDS_MAX][FIELD_BYTES];

  gc_figures(c, lay.compact, figures, sizeof figures);
  bar_line(c, "gc heap", g->mem_alloc > 0 ? (uint64_t)g->mem_alloc : 0,
           gc_heap_size(g), lay.bw, figures);
  if (g->threshold >= 0)
    bytes(c->m, (uint64_t)g->threshold, th, sizeof th);
  else
    snprintf(th, sizeof th, "off");
  if (g->largest_free >= 0)
    bytes(c->m, (uint64_t)g->largest_free, lf, sizeof lf);
  else
    snprintf(lf, sizeof lf, "unknown");
  snprintf(fields[0], FIELD_BYTES, "threshold %s", th);
  snprintf(fields[1], FIELD_BYTES, "enabled %s%s%s",
           g->enabled ? "" : sgr(c, SGR_YELLOW), g->enabled ? "yes" : "no",
           g->enabled ? "" : sgr(c, SGR_FG_END));
  snprintf(fields[2], FIELD_BYTES, "collections %llu",
           (unsigned long long)g->collections);
  snprintf(fields[3], FIELD_BYTES, "largest free %s", lf);
  flow(c, "          ", NAME_CELLS, fields, 4);
  sparkline(c, "alloc", SERIES_GC);
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

typedef struct pool_row {
  const char *name;
  bool has;
  const gcmon_mem_info *p;
  int series;
} pool_row;

static int pool_rows(const gcmon_sample *s, pool_row out[3]) {
  const pool_row all[] = {
      {"sys_heap", s->has_sys_heap, &s->sys_heap, SERIES_HEAP},
      {"sys_page", s->has_sys_page, &s->sys_page, SERIES_PAGE},
      {"sys_mmz", s->has_sys_mmz, &s->sys_mmz, SERIES_MMZ}};
  int n = 0;
  for (int i = 0; i < 3; i++)
    if (all[i].has)
      out[n++] = all[i];
  return n;
}

static void pools(canvas *c, layout lay) {
  pool_row p[3];
  char figures[LINE_MAX / 2];
  int n = pool_rows(c->m->last, p);

  for (int i = 0; i < n; i++) {
    pool_figures(c, p[i].p, lay.compact, figures, sizeof figures);
    bar_line(c, p[i].name, p[i].p->used, p[i].p->total, lay.bw, figures);
  }
}

static void link_lines(canvas *c) {
  const gcmon_link_stats *l = c->m->link;
  char fields[FIELDS_MAX][FIELD_BYTES], disc[32];
  const char *warn = sgr(c, SGR_YELLOW), *end = sgr(c, SGR_FG_END);

  bytes(c->m, l->bytes_discarded, disc, sizeof disc);
  snprintf(fields[0], FIELD_BYTES, "frames in %llu out %llu",
           (unsigned long long)l->frames_in, (unsigned long long)l->frames_out);
  snprintf(fields[1], FIELD_BYTES, "%scrc errors %llu%s",
           l->crc_errors ? warn : "", (unsigned long long)l->crc_errors,
           l->crc_errors ? end : "");
  snprintf(fields[2], FIELD_BYTES, "%sdropped %llu%s",
           l->frames_dropped ? warn : "", (unsigned long long)l->frames_dropped,
           l->frames_dropped ? end : "");
  snprintf(fields[3], FIELD_BYTES, "discarded %s", disc);
  snprintf(fields[4], FIELD_BYTES, "%sseq gaps %llu (%llu missed)%s",
           l->seq_gaps ? warn : "", (unsigned long long)l->seq_gaps,
           (unsigned long long)l->seq_missing, l->seq_gaps ? end : "");
  snprintf(fields[5], FIELD_BYTES, "reconnects %llu",
           (unsigned long long)(l->connects > 0 ? l->connects - 1 : 0));
  flow(c, "link  ", 6, fields, 6);
}

/* Graphs of the gc heap and each pool in the rows left above the keys
 * (each a title with its scale, then `height` rows). */
static void graphs(canvas *c, int spare) {
  pool_row p[3];
  int n = pool_rows(c->m->last, p), ngraphs, height;
  char row[LINE_MAX], scale[128];
  int width = c->cols - NAME_CELLS;

  ngraphs = n + (c->m->last->has_gc ? 1 : 0);
  if (ngraphs == 0 || width < 10)
    return;
  height = spare / ngraphs - 2; /* a title and a blank line each */
  if (height < GRAPH_MIN_ROWS)
    return;
  if (height > GRAPH_MAX_ROWS)
    height = GRAPH_MAX_ROWS;
  for (int g = 0; g < ngraphs; g++) {
    bool gc = c->m->last->has_gc && g == 0;
    int k = gc ? SERIES_GC : p[g - (c->m->last->has_gc ? 1 : 0)].series;
    const char *name =
        gc ? "gc alloc" : p[g - (c->m->last->has_gc ? 1 : 0)].name;
    int drawn = 0;
    screen_graph_row(c->m->series, k, width, 1, 0, c->m->utf8, row, sizeof row);
    drawn = cells(row);
    screen_scale(c->m, k, drawn, scale, sizeof scale);
    line(c, "%s", "");
    line(c, "%s%-9s%s %s used: %s", sgr(c, SGR_BOLD), name, sgr(c, SGR_NORMAL),
         gc ? "gc heap" : "pool", scale);
    for (int r = 0; r < height; r++) {
      screen_graph_row(c->m->series, k, width, height, r, c->m->utf8, row,
                       sizeof row);
      line(c, "%*s%s", NAME_CELLS, "", row);
    }
  }
}

static void help(canvas *c) {
  static const char *const text[] = {
      "keys:",
      "  c   run gc.collect() on the board; the line below says what it freed",
      "  t   set gc.threshold(): type a size (64K, 1M) or off, then Enter",
      "  e   gc.enable()   (asks y/n first)",
      "  d   gc.disable()  (asks y/n first)",
      "  p   pause: freeze the figures (samples still arrive); p again resumes",
      "  ?   this help; ? again hides it",
      "  q   quit (also Ctrl-C); Esc cancels a question",
  };
  line(c, "%s", "");
  for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
    line(c, "%s", text[i]);
}

static void header(canvas *c) {
  const screen_model *m = c->m;
  const gcmon_sample *s = m->last;
  char fields[FIELDS_MAX][FIELD_BYTES], first[32];

  snprintf(first, sizeof first, "%sgcmon watch%s  ", sgr(c, SGR_BOLD),
           sgr(c, SGR_NORMAL));
  snprintf(fields[0], FIELD_BYTES, "%s", m->target);
  snprintf(fields[1], FIELD_BYTES, "%s", m->info->daemon);
  snprintf(fields[2], FIELD_BYTES, "source %s", m->info->source);
  snprintf(fields[3], FIELD_BYTES, "device %s", m->info->device_id);
  flow(c, first, 13, fields, 4);
  if (!s) {
    line(c, "waiting for the first sample  [%s]", m->state);
    return;
  }
  snprintf(fields[0], FIELD_BYTES, "seq %llu", (unsigned long long)s->seq);
  snprintf(fields[1], FIELD_BYTES, "uptime %.1f s", (double)s->uptime_us / 1e6);
  if (m->asked_interval_ms && m->asked_interval_ms != m->interval_ms)
    snprintf(fields[2], FIELD_BYTES, "every %u ms (asked %u ms)",
             (unsigned)m->interval_ms, (unsigned)m->asked_interval_ms);
  else
    snprintf(fields[2], FIELD_BYTES, "every %u ms", (unsigned)m->interval_ms);
  if (m->stale)
    snprintf(fields[3], FIELD_BYTES, "%s[%s: figures from %.0f s ago]%s",
             sgr(c, SGR_RED), m->state, m->age_s, sgr(c, SGR_FG_END));
  else
    snprintf(fields[3], FIELD_BYTES, "[%s]%s", m->state,
             m->paused ? " [paused]" : "");
  flow(c, "", 0, fields, 4);
}

void screen_draw(FILE *f, const screen_model *m, int cols, int rows) {
  const gcmon_sample *s = m->last;
  layout lay = plan(m, cols);
  canvas c = {f, m, cols, rows, 0, ""};
  const char *dim = m->stale ? sgr(&c, SGR_DIM) : "";

  fputs("\033[H", f);
  header(&c);
  c.style = dim; /* the figures: the last known while the link is down */
  line(&c, "%s", "");
  if (s && s->has_gc)
    gc_lines(&c, lay);
  if (s)
    pools(&c, lay);
  if (s && s->sys_total) {
    char t[32];
    bytes(m, s->sys_total, t, sizeof t);
    line(&c, "%-9s %s", "sys_total", t);
  }
  line(&c, "%s", "");
  link_lines(&c);
  c.style = "";
  if (m->help)
    help(&c);
  else if (s)
    graphs(&c, rows - c.row - 2);
  c.row = c.row < rows - 2 ? rows - 2 : c.row;
  fprintf(f, "\033[J\033[%d;1H", c.row + 1);
  line(&c, "%s", KEYS_LINE);
  line(&c, "%s", m->prompt ? m->prompt : "");
  fputs("\033[J", f);
  fflush(f);
}
