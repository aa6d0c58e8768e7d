/* The diagnose series model (diagnose.h): a column store grown row by row,
 * a column allocated only once some row has a value for it, and the reader
 * of record/history CSV files, which maps header names to columns so that
 * columns it does not know are skipped and columns a newer gcmon writes
 * (watermarks, collection and alarm rows) are used when present. */
#include "diagnose.h"

#include "gcmon/error.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const dg_pool_names[DG_POOLS] = {"gc", "sys_heap", "sys_page",
                                             "sys_mmz"};

void dg_model_init(dg_model *m) {
  memset(m, 0, sizeof *m);
}

/* Every column array of m, to grow or free them alike. */
static size_t columns(dg_model *m, double ***out) {
  size_t n = 0;

  out[n++] = &m->t;
  out[n++] = &m->collections;
  out[n++] = &m->run;
  for (int p = 0; p < DG_POOLS; p++) {
    dg_pool *pl = &m->pool[p];
    out[n++] = &pl->used;
    out[n++] = &pl->free;
    out[n++] = &pl->largest;
    out[n++] = &pl->wm_min_free;
    out[n++] = &pl->wm_max_used;
    out[n++] = &pl->wm_min_largest;
  }
  return n;
}

#define MAX_COLUMNS (3 + 6 * DG_POOLS)

void dg_model_free(dg_model *m) {
  double **cols[MAX_COLUMNS];
  size_t n = columns(m, cols);

  for (size_t i = 0; i < n; i++)
    free(*cols[i]);
  free(m->coll);
  free(m->alarm);
  dg_model_init(m);
}

void dg_row_clear(dg_row *r) {
  double *v = (double *)r;

  for (size_t i = 0; i < sizeof *r / sizeof(double); i++)
    v[i] = DG_NAN;
}

static int grow(dg_model *m) {
  double **cols[MAX_COLUMNS];
  size_t n = columns(m, cols);
  size_t cap = m->cap ? m->cap * 2 : 1024;

  for (size_t i = 0; i < n; i++) {
    double *a;
    if (*cols[i] == NULL)
      continue;
    a = realloc(*cols[i], cap * sizeof(double));
    if (a == NULL)
      return GCMON_ENOMEM;
    *cols[i] = a;
  }
  m->cap = cap;
  return 0;
}

/* Store v at row i of *col, creating the column (NaN so far) on the first
 * value. */
static int put(dg_model *m, double **col, size_t i, double v) {
  if (*col == NULL) {
    if (isnan(v))
      return 0;
    *col = malloc(m->cap * sizeof(double));
    if (*col == NULL)
      return GCMON_ENOMEM;
    for (size_t k = 0; k < i; k++)
      (*col)[k] = DG_NAN;
  }
  (*col)[i] = v;
  return 0;
}

int dg_model_add(dg_model *m, const dg_row *r) {
  size_t i = m->n;
  double t;
  int rc = 0;

  if (m->n == m->cap && (rc = grow(m)) != 0)
    return rc;
  if (m->t == NULL && (m->t = malloc(m->cap * sizeof(double))) == NULL)
    return GCMON_ENOMEM;
  /* A clock that went backwards is a restart the input did not mark. */
  if (m->have_raw_t && r->uptime_s < m->last_raw_t)
    m->t_offset += m->last_raw_t - r->uptime_s;
  m->last_raw_t = r->uptime_s;
  m->have_raw_t = true;
  t = r->uptime_s + m->t_offset;
  m->t[i] = t;
  rc |= put(m, &m->collections, i, r->collections);
  rc |= put(m, &m->run, i, r->run);
  for (int p = 0; p < DG_POOLS; p++) {
    dg_pool *pl = &m->pool[p];
    if (!isnan(r->pool[p].total) && r->pool[p].total > 0)
      pl->total = r->pool[p].total;
    rc |= put(m, &pl->used, i, r->pool[p].used);
    rc |= put(m, &pl->free, i, r->pool[p].free);
    rc |= put(m, &pl->largest, i, r->pool[p].largest);
    rc |= put(m, &pl->wm_min_free, i, r->pool[p].wm_min_free);
    rc |= put(m, &pl->wm_max_used, i, r->pool[p].wm_max_used);
    rc |= put(m, &pl->wm_min_largest, i, r->pool[p].wm_min_largest);
  }
  if (rc != 0)
    return GCMON_ENOMEM;
  m->n++;
  return 0;
}

static void mem_row(dg_row *r, int p, const gcmon_mem_info *mi) {
  r->pool[p].total = (double)mi->total;
  r->pool[p].used = (double)mi->used;
  r->pool[p].free = (double)mi->free;
}

/* The watermark columns of pool p; the gc heap's largest-free watermark
 * only when the source knows it (-1 unknown). */
static void wm_row(dg_row *r, int p, const gcmon_pool_watermark *w) {
  if (!w->present)
    return;
  r->pool[p].wm_min_free = (double)w->min_free;
  r->pool[p].wm_max_used = (double)w->max_used;
  if (w->min_largest_free >= 0)
    r->pool[p].wm_min_largest = (double)w->min_largest_free;
}

int dg_model_add_sample(dg_model *m, const gcmon_sample *s,
                        const gcmon_watermarks *wm) {
  dg_row r;

  dg_row_clear(&r);
  /* gcmon_pool and the model's pools are in the same order */
  for (int p = 0; wm && p < DG_POOLS; p++)
    wm_row(&r, p, &wm->pool[p]);
  r.uptime_s = (double)s->uptime_us / 1e6;
  if (s->has_gc) {
    r.collections = (double)s->gc.collections;
    r.pool[DG_GC].used = (double)s->gc.mem_alloc;
    if (s->gc.mem_free >= 0) {
      r.pool[DG_GC].free = (double)s->gc.mem_free;
      r.pool[DG_GC].total = (double)(s->gc.mem_alloc + s->gc.mem_free);
    }
    if (s->gc.largest_free >= 0)
      r.pool[DG_GC].largest = (double)s->gc.largest_free;
  }
  if (s->has_sys_heap)
    mem_row(&r, DG_SYS_HEAP, &s->sys_heap);
  if (s->has_sys_page)
    mem_row(&r, DG_SYS_PAGE, &s->sys_page);
  if (s->has_sys_mmz)
    mem_row(&r, DG_SYS_MMZ, &s->sys_mmz);
  return dg_model_add(m, &r);
}

void dg_model_restart(dg_model *m) {
  /* The next row's clock starts again: continue after the last row. */
  if (m->have_raw_t)
    m->t_offset += m->last_raw_t;
  m->have_raw_t = false;
}

/* Room for one more element in *arr (n used of *cap, size bytes each). */
static int room_for_one(void **arr, size_t n, size_t *cap, size_t size) {
  size_t want = *cap ? *cap * 2 : 64;
  void *a;

  if (n < *cap)
    return 0;
  a = realloc(*arr, want * size);
  if (a == NULL)
    return GCMON_ENOMEM;
  *arr = a;
  *cap = want;
  return 0;
}

int dg_model_add_collection(dg_model *m, double uptime_s, double pause_us,
                            double alloc_after) {
  void *arr = m->coll;
  int rc = room_for_one(&arr, m->ncoll, &m->collcap, sizeof *m->coll);

  m->coll = arr;
  if (rc != 0)
    return rc;
  m->coll[m->ncoll].t = uptime_s + m->t_offset;
  m->coll[m->ncoll].pause_us = pause_us;
  m->coll[m->ncoll].alloc_after = alloc_after;
  m->ncoll++;
  return 0;
}

int dg_model_alarm(dg_model *m, double uptime_s, unsigned alarm, bool raised) {
  double t = uptime_s + m->t_offset;

  if (!raised) {
    for (size_t i = m->nalarm; i-- > 0;)
      if (m->alarm[i].alarm == alarm && isnan(m->alarm[i].t1)) {
        m->alarm[i].t1 = t;
        return 0;
      }
    return 0;
  }
  {
    void *arr = m->alarm;
    int rc = room_for_one(&arr, m->nalarm, &m->alarmcap, sizeof *m->alarm);
    m->alarm = arr;
    if (rc != 0)
      return rc;
  }
  m->alarm[m->nalarm++] = (dg_alarm_span){t, DG_NAN, alarm};
  return 0;
}

/* ---- CSV ---------------------------------------------------------------- */

/* What a CSV column feeds. */
enum {
  C_NONE = 0,
  C_EVENT,
  C_UPTIME,
  C_COLLECTIONS,
  C_RUN,
  C_PAUSE,
  C_COLL_START,
  C_ALLOC_AFTER,
  C_ALARM,
  C_RAISED,
  C_GC_ALLOC,
  C_GC_FREE,
  C_GC_LARGEST,
  C_POOL /* + pool * 8 + field */
};
enum { F_TOTAL, F_USED, F_FREE, F_LARGEST, F_WM_FREE, F_WM_USED, F_WM_LARGEST };

typedef struct {
  const char *name;
  int col;
} name_col;

static const name_col fixed_names[] = {
    {"event", C_EVENT},
    {"uptime_us", C_UPTIME},
    {"gc.collections", C_COLLECTIONS},
    {"run", C_RUN},
    {"script_run", C_RUN},
    {"pause_us", C_PAUSE},
    {"collection.pause_us", C_PAUSE},
    {"start_uptime_us", C_COLL_START},
    {"collection.start_uptime_us", C_COLL_START},
    {"alloc_after", C_ALLOC_AFTER},
    {"collection.alloc_after", C_ALLOC_AFTER},
    {"alarm", C_ALARM},
    {"alarm.alarm", C_ALARM},
    {"raised", C_RAISED},
    {"alarm.raised", C_RAISED},
    {"gc.mem_alloc", C_GC_ALLOC},
    {"gc.mem_free", C_GC_FREE},
    {"gc.largest_free", C_GC_LARGEST},
};

static const char *const field_names[] = {
    "total",           "used", "free", "largest_free", "min_free", "max_used",
    "min_largest_free"};

/* "sys_mmz.used", "watermarks.gc.min_free", "gc.min_free" ... */
static int column_of(const char *name) {
  const char *rest = name;

  for (size_t i = 0; i < sizeof fixed_names / sizeof fixed_names[0]; i++)
    if (strcmp(fixed_names[i].name, name) == 0)
      return fixed_names[i].col;
  if (strncmp(rest, "watermarks.", 11) == 0)
    rest += 11;
  for (int p = 0; p < DG_POOLS; p++) {
    size_t len = strlen(dg_pool_names[p]);
    if (strncmp(rest, dg_pool_names[p], len) != 0 || rest[len] != '.')
      continue;
    for (int f = 0; f < 7; f++)
      if (strcmp(rest + len + 1, field_names[f]) == 0)
        return C_POOL + p * 8 + f;
  }
  return C_NONE;
}

#define CSV_COLUMNS_MAX 128
#define CSV_LINE_MAX    4096

static void put_pool(dg_row *r, int col, double v) {
  int p = (col - C_POOL) / 8, f = (col - C_POOL) % 8;
  double *slot[] = {&r->pool[p].total,         &r->pool[p].used,
                    &r->pool[p].free,          &r->pool[p].largest,
                    &r->pool[p].wm_min_free,   &r->pool[p].wm_max_used,
                    &r->pool[p].wm_min_largest};
  *slot[f] = v;
}

/* A field's number: plain integers (all gcmon writes) without strtod. */
static int parse_number(const char *p, double *out) {
  const char *s = p + (*p == '-');
  const char *digits = s;
  uint64_t v = 0;
  char *e;

  while (*s >= '0' && *s <= '9' && s - digits < 19)
    v = v * 10 + (uint64_t)(*s++ - '0');
  if (*s == '\0' && s > digits) {
    *out = *p == '-' ? -(double)v : (double)v;
    return 0;
  }
  *out = strtod(p, &e);
  return *e == '\0' ? 0 : -1;
}

/* One data line; *kind: 's' sample, 'c' collection, 'a' alarm, 'r' restart,
 * 0 anything else. Returns -1 when malformed. */
static int parse_line(char *line, const int *map, int ncols, dg_row *r,
                      char *kind, double *pause, double *start,
                      double *after, double *alarm, double *raised) {
  char *p = line;

  dg_row_clear(r);
  *kind = 0;
  *pause = *start = *after = *alarm = *raised = DG_NAN;
  for (int c = 0; c < ncols; c++) {
    char *end = p + strcspn(p, ",\r\n");
    char save = *end;
    double v = DG_NAN;

    *end = '\0';
    if (map[c] == C_EVENT) {
      *kind = strcmp(p, "sample") == 0       ? 's'
              : strcmp(p, "collection") == 0 ? 'c'
              : strcmp(p, "alarm") == 0      ? 'a'
              : strcmp(p, "restart") == 0    ? 'r'
                                             : 0;
    } else if (map[c] != C_NONE && *p != '\0' && parse_number(p, &v) != 0) {
      return -1;
    }
    switch (map[c]) {
    case C_NONE:
    case C_EVENT:
      break;
    case C_UPTIME:
      r->uptime_s = v / 1e6;
      break;
    case C_COLLECTIONS:
      r->collections = v;
      break;
    case C_RUN:
      r->run = v;
      break;
    case C_PAUSE:
      *pause = v;
      break;
    case C_COLL_START:
      *start = v / 1e6;
      break;
    case C_ALLOC_AFTER:
      *after = v >= 0 ? v : DG_NAN;
      break;
    case C_ALARM:
      *alarm = v;
      break;
    case C_RAISED:
      *raised = v;
      break;
    case C_GC_ALLOC:
      r->pool[DG_GC].used = v;
      break;
    case C_GC_FREE:
      r->pool[DG_GC].free = v >= 0 ? v : DG_NAN;
      break;
    case C_GC_LARGEST:
      r->pool[DG_GC].largest = v >= 0 ? v : DG_NAN;
      break;
    default:
      put_pool(r, map[c], v);
    }
    if (save == ',')
      p = end + 1;
    else if (c + 1 < ncols)
      p = end; /* short line: the rest are empty */
  }
  if (!isnan(r->pool[DG_GC].used) && !isnan(r->pool[DG_GC].free))
    r->pool[DG_GC].total = r->pool[DG_GC].used + r->pool[DG_GC].free;
  return 0;
}

static int split_header(char *line, int *map, char *err, size_t errlen) {
  int n = 0;
  bool have_uptime = false;

  for (char *p = line;; n++) {
    size_t len = strcspn(p, ",\r\n");
    char end = p[len];
    if (n == CSV_COLUMNS_MAX) {
      snprintf(err, errlen, "line 1: more than %d columns", CSV_COLUMNS_MAX);
      return -1;
    }
    p[len] = '\0';
    map[n] = column_of(p);
    have_uptime |= map[n] == C_UPTIME;
    if (end != ',') {
      n++;
      break;
    }
    p += len + 1;
  }
  if (!have_uptime) {
    snprintf(err, errlen,
             "line 1: not a gcmon record/history CSV (no uptime_us column)");
    return -1;
  }
  return n;
}

static bool has_event_column(const int *map, int ncols) {
  for (int c = 0; c < ncols; c++)
    if (map[c] == C_EVENT)
      return true;
  return false;
}

static int add_line(dg_model *m, char *line, const int *map, int ncols,
                    bool has_event) {
  dg_row r;
  char kind;
  double pause, start, after, alarm, raised;

  if (parse_line(line, map, ncols, &r, &kind, &pause, &start, &after, &alarm,
                 &raised) != 0)
    return GCMON_EPARSE;
  switch (kind) {
  case 's':
  case 0: /* a CSV without an event column is all samples */
    if (kind == 0 && has_event) {
      m->skipped_rows++;
      return 0;
    }
    return dg_model_add(m, &r);
  case 'r':
    dg_model_restart(m);
    return 0;
  case 'c':
    return dg_model_add_collection(m, isnan(start) ? r.uptime_s : start,
                                   pause > 0 ? pause : DG_NAN, after);
  case 'a':
    if (isnan(alarm))
      return 0;
    return dg_model_alarm(m, r.uptime_s, (unsigned)alarm, raised != 0);
  }
  return 0;
}

int dg_model_load_csv(dg_model *m, FILE *f, char *err, size_t errlen) {
  char line[CSV_LINE_MAX];
  int map[CSV_COLUMNS_MAX];
  int ncols;
  size_t lineno = 1;
  bool has_event;

  if (fgets(line, sizeof line, f) == NULL) {
    snprintf(err, errlen, "empty file");
    return GCMON_EPARSE;
  }
  ncols = split_header(line, map, err, errlen);
  if (ncols < 0)
    return GCMON_EPARSE;
  has_event = has_event_column(map, ncols);
  while (fgets(line, sizeof line, f) != NULL) {
    int rc;
    lineno++;
    if (strchr(line, '\n') == NULL && !feof(f)) {
      snprintf(err, errlen, "line %zu: longer than %d bytes", lineno,
               CSV_LINE_MAX - 1);
      return GCMON_EPARSE;
    }
    if (line[0] == '\n' || line[0] == '\0')
      continue;
    rc = add_line(m, line, map, ncols, has_event);
    if (rc == GCMON_EPARSE) {
      snprintf(err, errlen, "line %zu: not a number where one belongs", lineno);
      return rc;
    }
    if (rc != 0) {
      snprintf(err, errlen, "out of memory at line %zu", lineno);
      return rc;
    }
  }
  if (ferror(f)) {
    snprintf(err, errlen, "read error");
    return GCMON_EIO;
  }
  return 0;
}
