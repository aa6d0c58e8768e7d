/* CSV writer: a fixed column set (dotted paths) with a header line; each
 * record becomes one line, fields it lacks left empty. Values are raw
 * numbers in the protocol's units, 64-bit ids in hex; text is quoted when
 * it must be. */
#include "units.h"
#include "writer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define CSV_COLUMNS_MAX 64
#define CSV_CELL_MAX    48

typedef struct {
  writer base;
  const char *const *columns;
  size_t ncolumns;
  char cells[CSV_COLUMNS_MAX][CSV_CELL_MAX];
  bool holds_list[16]; /* the record at this depth holds a list: not a row */
} csv_writer;

static void put_cell(FILE *f, const char *s) {
  if (strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static void c_begin(writer *w) {
  csv_writer *c = (csv_writer *)w;
  writer_push(w, NULL);
  if (w->depth < 16)
    c->holds_list[w->depth] = false;
  memset(c->cells, 0, sizeof c->cells);
}

/* Rows are the innermost records: a document that wraps a list of
 * records (history) is not a row itself. */
static void c_end(writer *w) {
  csv_writer *c = (csv_writer *)w;
  bool row = !(w->depth < 16 && c->holds_list[w->depth]);
  writer_pop(w);
  if (!row)
    return;
  for (size_t i = 0; i < c->ncolumns; i++) {
    if (i)
      fputc(',', w->out);
    put_cell(w->out, c->cells[i]);
  }
  fputc('\n', w->out);
  if (w->depth == 0)
    writer_flush(w);
}

static void c_group(writer *w, const char *k) {
  writer_push(w, k);
}

static void c_list(writer *w, const char *k) {
  csv_writer *c = (csv_writer *)w;
  (void)k;
  if (w->depth < 16)
    c->holds_list[w->depth] = true;
  writer_push(w, NULL);
}

static void c_pop(writer *w) {
  writer_pop(w);
}

static void c_field(writer *w, const char *k, const wval *v) {
  csv_writer *c = (csv_writer *)w;
  char full[WRITER_PATH_MAX];
  size_t i;

  writer_full_key(w, k, full, sizeof full);
  for (i = 0; i < c->ncolumns; i++)
    if (strcmp(c->columns[i], full) == 0)
      break;
  if (i == c->ncolumns)
    return;
  switch (v->kind) {
  case WV_STR:
    snprintf(c->cells[i], CSV_CELL_MAX, "%s", v->s);
    break;
  case WV_BOOL:
    snprintf(c->cells[i], CSV_CELL_MAX, "%d", v->b ? 1 : 0);
    break;
  case WV_ID:
    snprintf(c->cells[i], CSV_CELL_MAX, "%016" PRIx64, v->u);
    break;
  case WV_TIME:
    units_format_time_utc(v->i, c->cells[i], CSV_CELL_MAX);
    break;
  case WV_U64:
  case WV_BYTES:
  case WV_DURATION:
  case WV_UPTIME:
    snprintf(c->cells[i], CSV_CELL_MAX, "%" PRIu64, v->u);
    break;
  case WV_I64:
  case WV_SBYTES:
  case WV_THRESHOLD:
  case WV_DBYTES:
    snprintf(c->cells[i], CSV_CELL_MAX, "%" PRId64, v->i);
    break;
  }
}

static void c_destroy(writer *w) {
  free(w);
}

static const writer_ops csv_ops = {c_begin, c_end, c_group, c_pop,
                                   c_list,  c_pop, c_field, c_destroy};

writer *writer_csv_new(FILE *out, unsigned flags, const char *const *columns) {
  csv_writer *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->base.ops = &csv_ops;
  c->base.out = out;
  c->base.flags = flags;
  c->columns = columns;
  while (columns[c->ncolumns] && c->ncolumns < CSV_COLUMNS_MAX)
    c->ncolumns++;
  for (size_t i = 0; i < c->ncolumns; i++) {
    if (i)
      fputc(',', out);
    put_cell(out, columns[i]);
  }
  fputc('\n', out);
  writer_flush(&c->base);
  return &c->base;
}
