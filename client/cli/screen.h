/* The picture `gcmon watch` draws: a pure function from what is known
 * (last sample, recent history, link counters, connection state) to one
 * screenful of text with ANSI cursor movement. No I/O besides the FILE. */
#ifndef GCMON_CLI_SCREEN_H
#define GCMON_CLI_SCREEN_H

#include "gcmon/client.h"

#include <stdio.h>

#define SCREEN_SPARK_MAX 120

typedef struct screen_model {
  const char *target;
  const gcmon_info *info;
  const char *state;        /* "connected", "reconnecting", ... */
  const gcmon_sample *last; /* NULL before the first sample */
  const gcmon_link_stats *link;
  uint32_t interval_ms;            /* as granted */
  int64_t spark[SCREEN_SPARK_MAX]; /* gc mem_alloc, oldest first */
  int nspark;
  bool raw_bytes;
  bool utf8;
  const char *alarm; /* the latest alarm raise/clear, one line; NULL: none */
} screen_model;

/* Draw m over the whole screen of cols x rows, in place. */
void screen_draw(FILE *f, const screen_model *m, int cols, int rows);

/* The sparkline of values (n of them) in at most width cells into out. */
void screen_sparkline(const int64_t *v, int n, int width, bool utf8, char *out,
                      size_t len);

#endif
