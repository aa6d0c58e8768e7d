/* Text writer: for people. Two layouts, chosen per record:
 *   - block: a standalone record (stat, info, collect) is a two-column
 *     table of labelled values; a MemInfo group is one line ("total ...
 *     used ... free ..."), bytes in KiB/MiB with percentages;
 *   - rows: records of a stream or a list (history, record, watch piped)
 *     are table rows under one header line. Each column is as wide as
 *     the widest value its field can take, so rows stay aligned; by
 *     default only the columns that fit 80 cells (host time, seq, gc
 *     alloc and free, each pool's used), every field with WRITER_WIDE.
 * A row whose "event" field is not "sample" (a gap, a restart) is printed
 * as a marked note line instead of a row. The labels live in one table
 * here, keyed by docs/protocol.md field paths. */
#include "units.h"
#include "writer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum { STYLE_PLAIN = 0, STYLE_TRANSPARENT, STYLE_INLINE, STYLE_SECTION };

typedef struct {
  const char *path;  /* dotted field path, or a trailing part of one */
  const char *label; /* block layout */
  const char *head;  /* row layout header */
  int style;         /* for groups */
  bool narrow;       /* a column of the 80-column table (else --wide) */
} label_row;

static const label_row labels[] = {
    {"gc", "gc heap", "", STYLE_TRANSPARENT, false},
    {"gc.mem_alloc", "gc.mem_alloc()", "alloc", 0, true},
    {"gc.mem_free", "gc.mem_free()", "free", 0, true},
    {"gc.threshold", "gc.threshold()", "threshold", 0, false},
    {"gc.enabled", "gc.isenabled()", "enabled", 0, false},
    {"gc.collections", "collections", "colls", 0, false},
    {"gc.largest_free", "largest free block", "lfree", 0, false},
    {"sys_total", "gc.sys_total()", "sys_total", 0, false},
    {"threshold", "gc.threshold()", "threshold", 0, false},
    {"enabled", "gc.isenabled()", "enabled", 0, false},
    {"sys_heap", "gc.sys_heap()", "heap", STYLE_INLINE, true},
    {"sys_heap.used", "used", "used", 0, true},
    {"sys_page.used", "used", "used", 0, true},
    {"sys_mmz.used", "used", "used", 0, true},
    {"sys_page", "gc.sys_page()", "page", STYLE_INLINE, true},
    {"sys_mmz", "gc.sys_mmz()", "mmz", STYLE_INLINE, true},
    {"after", "after collection", "", STYLE_SECTION, false},
    {"link", "link", "", STYLE_SECTION, false},
    {"time", "host time", "time", 0, true},
    {"seq", "seq", "seq", 0, true},
    {"uptime_us", "uptime", "uptime", 0, false},
    {"run_id", "run id", "", 0, false}, /* not a column: rows would be wide */
    {"version", "protocol version", "version", 0, false},
    {"device_id", "device", "device", 0, false},
    {"max_payload", "max payload (bytes)", "max_payload", 0, false},
    {"history_capacity", "history capacity", "history", 0, false},
    {"min_interval_ms", "sampler period (ms)", "period_ms", 0, false},
    {"control", "control allowed", "control", 0, false},
    {"max_subscriptions", "max subscriptions", "max_subs", 0, false},
    {"max_sessions", "max sessions", "max_sessions", 0, false},
    {"minor", "protocol minor", "minor", 0, false},
    {"compact", "compact stream", "compact", 0, false},
    {"freed_bytes", "freed", "freed", 0, false},
    {"duration_us", "duration", "duration", 0, false},
    {"oldest_seq", "oldest retained seq", "oldest", 0, false},
    {"frames_in", "frames in", "frames_in", 0, false},
    {"frames_out", "frames out", "frames_out", 0, false},
    {"crc_errors", "CRC errors", "crc", 0, false},
    {"frames_dropped", "frames dropped", "dropped", 0, false},
    {"bytes_discarded", "bytes discarded", "discarded", 0, false},
    {"seq_gaps", "seq gaps", "gaps", 0, false},
    {"seq_missing", "samples missed", "missed", 0, false},
    {"reconnects", "reconnects", "reconnects", 0, false},
    {"pools", "", "", STYLE_TRANSPARENT, false}, /* diagnose */
    {"pools.gc", "gc heap", "", STYLE_SECTION, false},
    {"pools.sys_heap", "sys_heap (kernel heap)", "", STYLE_SECTION, false},
    {"pools.sys_page", "sys_page (user pages)", "", STYLE_SECTION, false},
    {"pools.sys_mmz", "sys_mmz (multimedia)", "", STYLE_SECTION, false},
};

#define ROW_CELLS_MAX 32
#define CELL_MAX      40
#define LABEL_WIDTH   22

typedef struct {
  writer base;
  int indent;
  int inline_depth; /* depth of the open inline group, 0 = none */
  bool inline_first;
  int row_depth;  /* depth of the record being laid out as a row */
  int list_depth; /* depth inside the innermost open list, 0 = none */
  bool header_done;
  bool note;
  int ncells;
  int width[ROW_CELLS_MAX];  /* of each column, fixed by the first row */
  int cellw[ROW_CELLS_MAX];  /* widest value the cell's field can take */
  char head[ROW_CELLS_MAX][CELL_MAX];
  char cell[ROW_CELLS_MAX][CELL_MAX];
} text_writer;

/* The row for path, trying ever shorter tails ("after.gc.mem_alloc" ->
 * "gc.mem_alloc"). */
static const label_row *lookup(const char *path) {
  for (const char *p = path; p; p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL)
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
      if (strcmp(labels[i].path, p) == 0)
        return &labels[i];
  return NULL;
}

static void format(const text_writer *t, const wval *v, bool percent, char *out,
                   size_t len) {
  bool raw = (t->base.flags & WRITER_RAW_BYTES) != 0;
  uint64_t bytes = v->u;
  size_t n;

  switch (v->kind) {
  case WV_STR:
    snprintf(out, len, "%s", v->s);
    return;
  case WV_U64:
    snprintf(out, len, "%" PRIu64, v->u);
    return;
  case WV_ID:
    snprintf(out, len, "%016" PRIx64, v->u);
    return;
  case WV_I64:
    snprintf(out, len, "%" PRId64, v->i);
    return;
  case WV_BOOL:
    snprintf(out, len, "%s", v->b ? "yes" : "no");
    return;
  case WV_DURATION:
    units_format_duration_us(v->u, out, len);
    return;
  case WV_UPTIME:
    snprintf(out, len, "%.3f s", (double)v->u / 1e6);
    return;
  case WV_TIME:
    units_format_time_local(v->i, true, out, len);
    return;
  case WV_SBYTES:
  case WV_THRESHOLD:
    if (v->i < 0) {
      snprintf(out, len, "%s", v->kind == WV_THRESHOLD ? "off" : "unknown");
      return;
    }
    bytes = (uint64_t)v->i;
    break;
  case WV_DBYTES:
    if (v->i < 0) {
      char mag[32];
      if (raw)
        snprintf(mag, sizeof mag, "%" PRIu64, (uint64_t)0 - (uint64_t)v->i);
      else
        units_format_bytes((uint64_t)0 - (uint64_t)v->i, mag, sizeof mag);
      snprintf(out, len, "-%s", mag);
      return;
    }
    bytes = (uint64_t)v->i;
    break;
  case WV_BYTES:
    break;
  }
  if (raw)
    snprintf(out, len, "%" PRIu64, bytes);
  else
    units_format_bytes(bytes, out, len);
  n = strlen(out);
  if (percent && v->of > 0 && n < len)
    snprintf(out + n, len - n, " (%.1f%%)",
             100.0 * (double)bytes / (double)v->of);
}

/* ---- rows -------------------------------------------------------------- */

static const label_row *row_header_name(const text_writer *t, const char *key,
                                        char *out, size_t len) {
  char full[WRITER_PATH_MAX];
  const label_row *leaf, *group;

  writer_full_key(&t->base, key, full, sizeof full);
  leaf = lookup(full);
  group = t->base.path[0] ? lookup(t->base.path) : NULL;
  if (group && group->head[0])
    snprintf(out, len, "%s.%s", group->head, leaf ? leaf->head : key);
  else
    snprintf(out, len, "%s", leaf ? leaf->head : key);
  return leaf;
}

static int digits(uint64_t v) {
  char b[24];
  return snprintf(b, sizeof b, "%" PRIu64, v);
}

/* Cells the widest value of this field can take, so that a column never
 * grows out of line: byte figures are at most "1023.99 KiB"; with --bytes,
 * as many digits as the total they are part of. Counts get 10 digits,
 * uptimes three years. */
static int widest(const text_writer *t, const wval *v) {
  bool raw = (t->base.flags & WRITER_RAW_BYTES) != 0;
  uint64_t mag = v->kind == WV_BYTES ? v->u : v->i < 0 ? 0 : (uint64_t)v->i;
  switch (v->kind) {
  case WV_STR:
    return (int)strlen(v->s);
  case WV_U64:
  case WV_I64:
    return 10;
  case WV_ID:
    return 16;
  case WV_BOOL:
    return 3;
  case WV_DURATION:
    return 9; /* "999.99 ms" */
  case WV_UPTIME:
    return 14; /* "94608000.000 s" */
  case WV_TIME:
    return (t->base.flags & WRITER_WIDE) ? 19 : 8;
  case WV_DBYTES:
  case WV_SBYTES:
  case WV_THRESHOLD:
  case WV_BYTES:
    if (!raw)
      return v->kind == WV_DBYTES ? 12 : 11;
    if (v->of == 0 && v->kind != WV_BYTES)
      return 10; /* no total to bound it (threshold, largest free) */
    return (v->kind == WV_DBYTES ? 1 : 0) + digits(mag > v->of ? mag : v->of);
  }
  return 10;
}

static void row_field(text_writer *t, const char *key, const wval *v) {
  int i = t->ncells;
  const label_row *leaf;
  if (strcmp(key, "event") == 0 && v->kind == WV_STR) {
    t->note = strcmp(v->s, "sample") != 0;
    if (t->note && i < ROW_CELLS_MAX) {
      snprintf(t->head[i], CELL_MAX, "--- %s", v->s);
      t->cell[i][0] = '\0';
      t->ncells++;
    }
    return;
  }
  if (i >= ROW_CELLS_MAX)
    return;
  leaf = row_header_name(t, key, t->head[i], CELL_MAX);
  if (!t->note && t->head[i][0] == '\0')
    return; /* a field that is not a column */
  if (!t->note && !(t->base.flags & WRITER_WIDE) && !(leaf && leaf->narrow))
    return; /* only with --wide */
  if (v->kind == WV_TIME)
    units_format_time_local(v->i, (t->base.flags & WRITER_WIDE) != 0,
                            t->cell[i], CELL_MAX);
  else
    format(t, v, false, t->cell[i], CELL_MAX);
  t->cellw[i] = widest(t, v);
  t->ncells++;
}

static void row_end(text_writer *t) {
  FILE *f = t->base.out;
  /* 80 columns: one space between the narrow set's columns; --wide has
   * room for two */
  const char *gap = (t->base.flags & WRITER_WIDE) ? "  " : " ";
  if (t->note) {
    for (int i = 0; i < t->ncells; i++)
      fprintf(f, i == 0 ? "%s%s" : " %s=%s", t->head[i], t->cell[i]);
    fputs(" ---\n", f);
    return;
  }
  if (!t->header_done) {
    for (int i = 0; i < t->ncells; i++) {
      int w = (int)strlen(t->head[i]);
      t->width[i] = w > t->cellw[i] ? w : t->cellw[i];
      fprintf(f, "%s%*s", i ? gap : "", t->width[i], t->head[i]);
    }
    fputc('\n', f);
    t->header_done = true;
  }
  for (int i = 0; i < t->ncells; i++)
    fprintf(f, "%s%*s", i ? gap : "", t->width[i], t->cell[i]);
  fputc('\n', f);
}

/* ---- writer ops -------------------------------------------------------- */

static bool in_row(const text_writer *t) {
  return t->row_depth > 0 && t->base.depth >= t->row_depth;
}

static void t_begin(writer *w) {
  text_writer *t = (text_writer *)w;
  bool row =
      t->list_depth > 0 || (w->depth == 0 && (w->flags & WRITER_STREAM) != 0);
  writer_push(w, NULL);
  if (row) {
    t->row_depth = w->depth;
    t->ncells = 0;
    t->note = false;
  }
}

static void t_end(writer *w) {
  text_writer *t = (text_writer *)w;
  if (in_row(t) && w->depth == t->row_depth) {
    row_end(t);
    t->row_depth = 0;
  }
  writer_pop(w);
  if (w->depth == 0)
    writer_flush(w);
}

static void t_group(writer *w, const char *key) {
  text_writer *t = (text_writer *)w;
  char full[WRITER_PATH_MAX];
  const label_row *row;

  writer_full_key(w, key, full, sizeof full);
  row = lookup(full);
  if (!in_row(t) && !t->inline_depth) {
    int style = row ? row->style : STYLE_SECTION;
    if (style == STYLE_INLINE) {
      fprintf(w->out, "%*s%-*s", t->indent, "", LABEL_WIDTH - t->indent,
              row ? row->label : key);
      t->inline_depth = w->depth + 1;
      t->inline_first = true;
    } else if (style == STYLE_SECTION) {
      fprintf(w->out, "%*s%s:\n", t->indent, "", row ? row->label : key);
      t->indent += 2;
    }
  }
  writer_push(w, key);
}

static void t_group_end(writer *w) {
  text_writer *t = (text_writer *)w;
  const label_row *row;

  if (t->inline_depth == w->depth) {
    fputc('\n', w->out);
    t->inline_depth = 0;
  } else if (!in_row(t)) {
    row = lookup(w->path);
    if (!row || row->style == STYLE_SECTION)
      t->indent = t->indent >= 2 ? t->indent - 2 : 0;
  }
  writer_pop(w);
}

static void t_list(writer *w, const char *key) {
  text_writer *t = (text_writer *)w;
  (void)key;
  writer_push(w, NULL);
  t->list_depth = w->depth;
  t->header_done = false;
}

static void t_list_end(writer *w) {
  text_writer *t = (text_writer *)w;
  writer_pop(w);
  t->list_depth = 0;
}

static void t_field(writer *w, const char *key, const wval *v) {
  text_writer *t = (text_writer *)w;
  char full[WRITER_PATH_MAX], value[256];
  const label_row *row;

  if (in_row(t)) {
    row_field(t, key, v);
    return;
  }
  writer_full_key(w, key, full, sizeof full);
  row = lookup(full);
  format(t, v, true, value, sizeof value);
  if (t->inline_depth) {
    fprintf(w->out, "%s%s %s", t->inline_first ? " " : "  ",
            row ? row->label : key, value);
    t->inline_first = false;
  } else
    fprintf(w->out, "%*s%-*s %s\n", t->indent, "", LABEL_WIDTH - t->indent,
            row ? row->label : key, value);
}

static void t_destroy(writer *w) {
  free(w);
}

static const writer_ops text_ops = {t_begin, t_end,      t_group, t_group_end,
                                    t_list,  t_list_end, t_field, t_destroy};

writer *writer_text_new(FILE *out, unsigned flags) {
  text_writer *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->base.ops = &text_ops;
  t->base.out = out;
  t->base.flags = flags;
  return &t->base;
}
