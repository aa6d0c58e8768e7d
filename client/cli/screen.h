/* The picture `gcmon watch` draws: a pure function from what is known
 * (last sample, recent history, link counters, connection state, the
 * keys' prompt) to one screenful of text with ANSI cursor movement and,
 * when asked, colour. No I/O besides the FILE.
 *
 *   screen.c        the layout: header, gc, pools, link, keys line
 *   screen_graph.c  the sparkline with its scale and span, and the
 *                   per-pool graphs a tall terminal has room for */
#ifndef GCMON_CLI_SCREEN_H
#define GCMON_CLI_SCREEN_H

#include "gcmon/client.h"

#include <stdio.h>

#define SCREEN_SERIES_MAX 240 /* samples kept for the graphs */

/* The series drawn: gc mem_alloc and each pool's used bytes. */
enum { SERIES_GC = 0, SERIES_HEAP, SERIES_PAGE, SERIES_MMZ, SERIES_COUNT };

typedef struct screen_series {
  int64_t v[SERIES_COUNT][SCREEN_SERIES_MAX]; /* -1: absent in that sample */
  uint64_t seq[SCREEN_SERIES_MAX];
  uint64_t uptime_us[SCREEN_SERIES_MAX]; /* oldest first */
  int n;
} screen_series;

/* Keep the newest SCREEN_SERIES_MAX samples in seq order (history and
 * live samples may interleave); a seq already held is ignored. */
void screen_series_add(screen_series *s, const gcmon_sample *sample);

typedef struct screen_model {
  const char *target;
  const gcmon_info *info;
  const char *state;        /* "connected", "reconnecting", ... */
  const gcmon_sample *last; /* NULL before the first sample */
  const gcmon_link_stats *link;
  uint32_t interval_ms;       /* as granted */
  uint32_t asked_interval_ms; /* --interval (0: every sample) */
  const screen_series *series;
  bool raw_bytes;
  bool utf8;
  bool colour;  /* SGR colours and dimming (not with NO_COLOR, TERM=dumb) */
  bool stale;   /* the link is down: the figures are the last known */
  double age_s; /* seconds since the last sample arrived */
  bool paused;  /* p: the figures are frozen */
  bool help;    /* ?: the keys' help instead of the graphs */
  const char *prompt; /* the bottom line: a question, an answer, or NULL */
} screen_model;

/* Draw m over the whole screen of cols x rows, in place. */
void screen_draw(FILE *f, const screen_model *m, int cols, int rows);

/* ---- screen_graph.c ---------------------------------------------------- */

/* The sparkline of the last width values of series k (absent ones are
 * skipped) into out; *drawn is how many values it shows. */
void screen_sparkline(const screen_series *s, int k, int width, bool utf8,
                      char *out, size_t len, int *drawn);

/* "50 samples over 4.9 s, 720.00 KiB .. 741.23 KiB": what the last
 * `drawn` values of series k span, in time and in bytes. */
void screen_scale(const screen_model *m, int k, int drawn, char *out,
                  size_t len);

/* Row r (0 = top) of a graph `height` rows tall of the last `width` values
 * of series k, scaled between their min and max. */
void screen_graph_row(const screen_series *s, int k, int width, int height,
                      int r, bool utf8, char *out, size_t len);

#endif
