/* The stock adapter's readings (see repl.h): which gc functions the board
 * has, the one snippet that prints them, parsing what it printed, and the
 * set-up at connect that measures what a reading costs the board's heap
 * and how fast the link carries readings. */
#define _POSIX_C_SOURCE 200809L
#include "repl.h"

#include "gcmon/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERIOD_DEFAULT_MS 100u /* tick period unless the URI asks */

/* The gc functions a reading prints, in this order, where they exist. */
static const struct {
  char key;
  const char *name;
} gc_fns[GCMON__REPL_FIELDS] = {
    {'a', "mem_alloc"}, {'f', "mem_free"},  {'t', "threshold"},
    {'e', "isenabled"}, {'T', "sys_total"}, {'h', "sys_heap"},
    {'p', "sys_page"},  {'m', "sys_mmz"},
};

/* ---- readings ---------------------------------------------------------- */

static int parse_int(const char **p, int64_t *v) {
  char *end;
  long long x;
  while (**p == ' ' || **p == '(' || **p == ',')
    (*p)++;
  if (strncmp(*p, "True", 4) == 0 || strncmp(*p, "False", 5) == 0) {
    *v = **p == 'T';
    *p += **p == 'T' ? 4 : 5;
    return 0;
  }
  x = strtoll(*p, &end, 10);
  if (end == *p)
    return -1;
  *v = x;
  *p = end;
  return 0;
}

static int parse_mem(const char **p, gcmon_mem_info *m) {
  int64_t total, free_b, used;
  if (parse_int(p, &total) || parse_int(p, &free_b) || parse_int(p, &used))
    return -1;
  while (**p == ')' || **p == ' ')
    (*p)++;
  m->total = (uint64_t)total;
  m->free = (uint64_t)free_b;
  m->used = (uint64_t)used;
  return 0;
}

int gcmon__repl_parse_reading(const gcmon__repl *r, const char *line,
                              gcmon_sample *s) {
  const char *p = line;
  memset(s, 0, sizeof *s);
  s->gc.mem_free = -1;
  s->gc.threshold = -1;
  s->gc.largest_free = -1;
  for (int i = 0; i < r->nfields; i++) {
    int64_t v = 0;
    int bad = 0;
    if (i > 0) {
      if (*p != '|')
        return -1;
      p++;
    }
    switch (r->fields[i]) {
    case 'a':
    case 'f':
    case 't':
    case 'e':
    case 'T':
      bad = parse_int(&p, &v);
      break;
    case 'h':
      bad = parse_mem(&p, &s->sys_heap);
      s->has_sys_heap = true;
      break;
    case 'p':
      bad = parse_mem(&p, &s->sys_page);
      s->has_sys_page = true;
      break;
    default:
      bad = parse_mem(&p, &s->sys_mmz);
      s->has_sys_mmz = true;
      break;
    }
    if (bad)
      return -1;
    switch (r->fields[i]) {
    case 'a':
      s->has_gc = true;
      s->gc.mem_alloc = v;
      break;
    case 'f':
      s->gc.mem_free = v;
      break;
    case 't':
      s->gc.threshold = v < 0 ? -1 : v;
      break;
    case 'e':
      s->gc.enabled = v != 0;
      break;
    case 'T':
      s->sys_total = (uint64_t)v;
      break;
    default:
      break;
    }
  }
  return *p == '\r' || *p == '\n' || *p == '\0' ? 0 : -1;
}

/* The last line of the snippet's output that parses as a reading. */
int gcmon__repl_reading(gcmon__repl *r, gcmon_sample *s, uint64_t seq) {
  const char *line = r->out, *nl, *good = NULL;
  while (*line) {
    if (gcmon__repl_parse_reading(r, line, s) == 0)
      good = line;
    nl = strchr(line, '\n');
    if (!nl)
      break;
    line = nl + 1;
  }
  if (!good || gcmon__repl_parse_reading(r, good, s) != 0)
    return -1;
  s->seq = seq;
  s->uptime_us = gcmon__repl_now_us(r) - r->t0_us;
  return 0;
}

/* ---- set-up: which gc functions, what a reading costs ------------------ */

int gcmon__repl_console_info(const gcmon__repl *r, gcmon_console_info *out) {
  if (r->phase == GCMON__REPL_AGENT) {
    out->mode = "agent";
    return 0;
  }
  if (r->phase != GCMON__REPL_STOCK)
    return GCMON_ENODEV;
  out->mode = "stock";
  out->heap_per_reading = r->cost_bytes;
  out->reading_us = (uint32_t)r->reading_us;
  out->max_readings_per_s = 1e3 / (double)r->floor_ms;
  return 0;
}

static void setup_failed(gcmon__repl *r, const char *what) {
  char msg[120];
  snprintf(msg, sizeof msg, "%.100s", r->err_len ? r->err : r->out);
  for (char *c = msg; *c; c++)
    if (*c == '\r' || *c == '\n')
      *c = ' ';
  gcmon__repl_fail(r, GCMON_EPROTO, "%s: %s: '%s'",
                   r->outer ? r->outer->uri.path : "?", what, msg);
}

static void on_setup(gcmon__repl *r, int err);
static void setup_done(gcmon__repl *r);

/* The last set-up step: two snippets in one go. A port that discards what
 * arrives while code runs (the unix port and CanMV K230 flush the console
 * with tcsetattr(TCSAFLUSH) around each run) never answers the second;
 * then one snippet at a time, as mpremote does. */
static void on_pipeline_timeout(uv_timer_t *tm) {
  gcmon__repl *r = tm->data;
  gcmon__repl_exec_abandon(r);
  setup_done(r);
}

static void setup_next(gcmon__repl *r) {
  if (gcmon__repl_exec(r, r->snippet, on_setup) != 0)
    gcmon__repl_fail(r, GCMON_EIO, "%s: cannot write to the console",
                     r->outer ? r->outer->uri.path : "?");
}

static void build_snippet(gcmon__repl *r) {
  size_t n = (size_t)snprintf(r->snippet, sizeof r->snippet,
                              "import gc\nprint(");
  for (int i = 0; i < r->nfields; i++)
    for (int k = 0; k < GCMON__REPL_FIELDS; k++)
      if (gc_fns[k].key == r->fields[i])
        n += (size_t)snprintf(r->snippet + n, sizeof r->snippet - n, "%sgc.%s()",
                              i ? "," : "", gc_fns[k].name);
  snprintf(r->snippet + n, sizeof r->snippet - n, ",sep='|')\n");
}

static void on_setup(gcmon__repl *r, int err) {
  gcmon_sample s;

  if (err != 0) {
    setup_failed(r, "the board refused the set-up snippet");
    return;
  }
  switch (r->setup_step++) {
  case 0: /* the names of the gc functions present */
    for (int k = 0; k < GCMON__REPL_FIELDS; k++)
      if (strstr(r->out, gc_fns[k].name))
        r->fields[r->nfields++] = gc_fns[k].key;
    if (r->nfields == 0 || r->fields[0] != 'a') {
      setup_failed(r, "no gc.mem_alloc() on this board");
      return;
    }
    build_snippet(r);
    setup_next(r);
    return;
  case 1:
  case 2:
  case 3:
  case 4:
    /* Readings back to back: mem_alloc grows by what one costs, unless
     * the gc ran in between (a drop), so keep the smallest rise. */
    if (gcmon__repl_reading(r, &s, 0) != 0) {
      setup_failed(r, "cannot read the reading snippet's output");
      return;
    }
    if (r->setup_step > 2) {
      int64_t rise = s.gc.mem_alloc - r->last_alloc;
      if (rise > 0 && (r->cost_bytes <= 0 || rise < r->cost_bytes))
        r->cost_bytes = rise;
      if (r->reading_us == 0 || r->took_us < r->reading_us)
        r->reading_us = r->took_us;
    } else {
      r->cost_bytes = -1;
    }
    r->last_alloc = s.gc.mem_alloc;
    if (r->setup_step < 5) {
      setup_next(r);
      return;
    }
    if (gcmon__repl_exec_pair(r, "print(1)", "print(2)", on_setup) != 0)
      gcmon__repl_fail(r, GCMON_EIO, "%s: cannot write to the console",
                       r->outer ? r->outer->uri.path : "?");
    return;
  case 5: /* the first of the two: the second has its time to answer */
    uv_timer_start(&r->kick, on_pipeline_timeout,
                   200u + (unsigned)(2u * r->reading_us / 1000u), 0);
    return;
  case 6:
    uv_timer_stop(&r->kick);
    r->pipelined = true;
    setup_done(r);
    return;
  default:
    return;
  }
}

static void setup_done(gcmon__repl *r) {
  /* Ticks every ?interval= (default 100 ms), never faster than the link
   * carries them: where two snippets fly at once, the bound is the larger
   * of half a round trip and the time one snippet takes to send (10 bits a
   * byte), in whole ms; else a whole round trip. */
  {
    uint64_t send_us = (uint64_t)(strlen(r->snippet) + 1) * 10000000u /
                       (r->outer ? r->outer->uri.baud : GCMON_DEFAULT_BAUD);
    uint64_t turn_us = r->pipelined ? r->reading_us / 2 : r->reading_us;
    uint64_t per_us = turn_us > send_us ? turn_us : send_us;
    uint32_t floor_ms = (uint32_t)((per_us + 999) / 1000);
    uint32_t asked = r->outer && r->outer->uri.interval_ms
                         ? r->outer->uri.interval_ms
                         : PERIOD_DEFAULT_MS;
    r->min_ms = asked > floor_ms ? asked : floor_ms;
    r->floor_ms = floor_ms ? floor_ms : 1;
  }
  r->t0_us = gcmon__repl_now_us(r);
  r->run_id = ((uint64_t)uv_hrtime() << 16) ^ (uint64_t)(uintptr_t)r;
  gcmon_frame_decoder_init(&r->dec, r->dec_buf, sizeof r->dec_buf);
  r->phase = GCMON__REPL_STOCK;
  if (r->outer)
    gcmon__transport_opened_virtual(r->outer);
}

void gcmon__repl_stock_start(gcmon__repl *r) {
  r->phase = GCMON__REPL_SETUP;
  r->setup_step = 0;
  if (gcmon__repl_exec(r,
                       "import gc\nprint(' '.join(n for n in ("
                       "'mem_alloc','mem_free','threshold','isenabled',"
                       "'sys_total','sys_heap','sys_page','sys_mmz')"
                       " if hasattr(gc,n)))\n",
                       on_setup) != 0)
    gcmon__repl_fail(r, GCMON_EIO, "%s: cannot write to the console",
                     r->outer ? r->outer->uri.path : "?");
}
