/* gcmon history: download the retained series. One document: the run it
 * belongs to, the samples in seq order, then any gaps (seqs the ring had
 * already evicted). A progress line on stderr for long downloads when
 * stderr is a terminal. Each sample's host time comes from its uptime,
 * anchored by an on-demand reading taken just before the download. When
 * there is nothing at or after --since, stderr says so and the text table
 * is left out (exit 0: an up-to-date reader is no failure). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_AFTER_SAMPLES 256

typedef struct {
  uint64_t first, last;
} gap;

typedef struct {
  cli_ctx *x;
  writer *w;
  uint64_t run_id;
  uint64_t samples;
  cli_clock clock;
  bool open; /* the document has begun */
  gap *gaps;
  size_t ngaps, cap;
  bool progress_shown;
  bool progress_ok;
} hist;

/* The document begins with the first sample (text: nothing at all when
 * there is none). */
static void begin(hist *h) {
  if (h->open)
    return;
  h->open = true;
  h->w->ops->begin(h->w);
  w_id(h->w, "run_id", h->run_id);
  h->w->ops->list(h->w, "samples");
}

static void on_sample(void *data, const gcmon_sample *s) {
  hist *h = data;
  begin(h);
  h->samples++;
  emit_series_sample(h->w, h->run_id, s, NULL,
                     cli_clock_wall(&h->clock, h->run_id, s));
}

static void on_gap(void *data, uint64_t first, uint64_t last) {
  hist *h = data;
  if (h->ngaps == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 8;
    gap *g = realloc(h->gaps, cap * sizeof *g);
    if (!g)
      return;
    h->gaps = g;
    h->cap = cap;
  }
  h->gaps[h->ngaps++] = (gap){first, last};
}

static void on_progress(void *data, uint64_t done, uint64_t total) {
  hist *h = data;
  if (!h->progress_ok || (total < PROGRESS_AFTER_SAMPLES && !h->progress_shown))
    return;
  if (total >= done && total > 0)
    fprintf(stderr, "\rhistory: %llu/%llu samples (%u%%)",
            (unsigned long long)done, (unsigned long long)total,
            (unsigned)(done * 100 / total));
  else
    fprintf(stderr, "\rhistory: %llu samples", (unsigned long long)done);
  h->progress_shown = true;
}

int cmd_history(cli_ctx *x) {
  gcmon_history_options o = {0};
  gcmon_client *c;
  gcmon_sample now;
  hist h = {0};
  int err, rc = cli_connect(x, &c);

  if (rc != CLI_EXIT_OK)
    return rc;
  h.x = x;
  h.run_id = gcmon_client_info(c)->run_id;
  h.progress_ok = isatty(STDERR_FILENO) != 0;
  if (gcmon_get_sample(c, &now, 0) == 0)
    cli_clock_anchor(&h.clock, h.run_id, now.uptime_us, cli_wall_now_us());
  h.w = cli_writer(x, stdout, false);

  o.from_seq = x->since;
  o.on_sample = on_sample;
  o.on_gap = on_gap;
  o.on_progress = on_progress;
  o.data = &h;
  err = gcmon_history_fetch(c, &o, 0);
  if (h.progress_shown)
    fputs("\r\033[K", stderr);

  if (err == 0 && h.samples == 0 && h.ngaps == 0)
    fprintf(stderr, "%s history: nothing at or after seq %llu: the daemon "
                    "has no newer sample\n",
            x->prog, (unsigned long long)x->since);
  if (h.samples > 0 || h.ngaps > 0 || x->format != CLI_FORMAT_TEXT) {
    begin(&h);
    h.w->ops->list_end(h.w);
    h.w->ops->list(h.w, "gaps");
    for (size_t i = 0; i < h.ngaps; i++)
      emit_gap(h.w, h.run_id, h.gaps[i].first, h.gaps[i].last);
    h.w->ops->list_end(h.w);
    h.w->ops->end(h.w);
  }
  writer_free(h.w);
  free(h.gaps);
  if (err != 0)
    rc = cli_fail(x, c, "get_history", err);
  gcmon_client_close(c);
  return rc;
}
