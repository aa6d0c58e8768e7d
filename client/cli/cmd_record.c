/* gcmon record: stream every sample to a file until SIGINT/SIGTERM.
 *
 * Runs libgcmon in event-loop mode on our own libuv loop, with reconnect:
 * the library resumes the subscription from the last seq after a lost
 * link, so the file holds a contiguous seq run; what could not be
 * recovered is a "gap" row, a daemon restart a "restart" row. Each row is
 * flushed as it is written, so a killed recorder loses nothing it printed.
 * The first connection is not retried: an unreachable target is an error.
 * On a terminal, stderr shows how far it has got (progress.h). */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "progress.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  cli_ctx *x;
  uv_loop_t loop;
  uv_signal_t sigint, sigterm;
  gcmon_client *c;
  gcmon_subscription *sub;
  writer *w;
  FILE *f;
  uint64_t samples, gaps, restarts;
  cli_clock clock;
  progress prog; /* on stderr when it is a terminal */
  gcmon_link_stats link; /* taken just before the client closes */
  bool stopping;
  bool lost;
  int rc;
} recorder;

static void shutdown_recorder(recorder *r, int rc) {
  if (r->stopping)
    return;
  r->stopping = true;
  r->rc = rc;
  gcmon_client_link_stats(r->c, &r->link);
  uv_close((uv_handle_t *)&r->sigint, NULL);
  uv_close((uv_handle_t *)&r->sigterm, NULL);
  gcmon_client_close(r->c); /* finishes on the loop */
}

static void on_event(gcmon_subscription *s, const gcmon_event *ev, void *data) {
  recorder *r = data;
  uint64_t run_id = gcmon_client_info(r->c)->run_id;
  (void)s;

  switch (ev->type) {
  case GCMON_EVENT_SAMPLE:
    emit_series_sample(r->w, run_id, ev->sample, ev->watermarks,
                       cli_clock_wall(&r->clock, run_id, ev->sample));
    r->samples++;
    progress_update(&r->prog, r->samples, r->gaps, r->restarts);
    break;
  case GCMON_EVENT_GAP:
    emit_gap(r->w, run_id, ev->gap_first, ev->gap_last);
    r->gaps++;
    progress_clear(&r->prog);
    cli_error(r->x, "seq %llu..%llu could not be recovered (marked as a gap)",
              (unsigned long long)ev->gap_first,
              (unsigned long long)ev->gap_last);
    break;
  case GCMON_EVENT_RESTART:
    emit_restart(r->w, ev->run_id, ev->prev_run_id);
    r->restarts++;
    progress_clear(&r->prog);
    cli_error(r->x, "the daemon restarted (new run_id); seq starts again");
    break;
  case GCMON_EVENT_ERROR:
    cli_fail(r->x, r->c, "subscribe", ev->err);
    shutdown_recorder(r, CLI_EXIT_FAILURE);
    break;
  case GCMON_EVENT_ALARM:
    emit_alarm(r->w, run_id, ev->alarm,
               cli_clock_wall(&r->clock, run_id, &ev->alarm->sample));
    break;
  case GCMON_EVENT_SUBSCRIBED:
    cli_note_interval(r->x, ev->subscribed.interval_ms);
    break;
  case GCMON_EVENT_COLLECTION: {
    gcmon_sample at = {.uptime_us = ev->collection->start_uptime_us};
    emit_collection(r->w, run_id, ev->collection,
                    cli_clock_wall(&r->clock, run_id, &at));
    break;
  }
  case GCMON_EVENT_LINK_DOWN:
    break;
  }
  if (r->w->err && !r->stopping) {
    progress_clear(&r->prog);
    /* stdout's failure is said once, by main() (which lets a reader that
     * went away, | head, end it quietly) */
    if (r->f != stdout)
      cli_error(r->x, "%s: cannot write: %s", r->x->out_path,
                strerror(r->w->err));
    shutdown_recorder(r, r->f != stdout ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
  }
}

static void on_state(gcmon_client *c, gcmon_state st, int err, void *data) {
  recorder *r = data;

  if (r->stopping)
    return;
  switch (st) {
  case GCMON_STATE_READY:
    if (r->lost)
      cli_error(r->x, "reconnected to %s", r->x->target);
    r->lost = false;
    if (!r->sub) {
      int e =
          cli_subscribe_with_insight(c, r->x->interval_ms, on_event, r, &r->sub);
      if (e != 0) {
        cli_fail(r->x, c, "subscribe", e);
        shutdown_recorder(r, CLI_EXIT_FAILURE);
      }
    }
    break;
  case GCMON_STATE_BACKOFF:
    progress_clear(&r->prog);
    if (!r->lost)
      cli_error(r->x, "link lost (%s); reconnecting",
                gcmon_client_errmsg(c)[0] ? gcmon_client_errmsg(c)
                                          : gcmon_strerror(err));
    r->lost = true;
    break;
  case GCMON_STATE_FAILED:
    cli_fail(r->x, c, NULL, err);
    shutdown_recorder(r, CLI_EXIT_FAILURE);
    break;
  case GCMON_STATE_IDLE:
  case GCMON_STATE_CONNECTING:
    break;
  }
}

static void on_signal(uv_signal_t *h, int signum) {
  (void)signum;
  shutdown_recorder(h->data, CLI_EXIT_OK);
}

static FILE *open_output(cli_ctx *x) {
  FILE *f;
  if (strcmp(x->out_path, "-") == 0)
    return stdout;
  f = fopen(x->out_path, "w");
  if (!f)
    cli_error(x, "%s: %s", x->out_path, strerror(errno));
  return f;
}

int cmd_record(cli_ctx *x) {
  recorder r;
  bool write_failed;

  if (!x->out_path) {
    return cli_usage_error(x, "%s",
                           "say where: --csv FILE or --json FILE ('-' for "
                           "stdout)");
  }
  memset(&r, 0, sizeof r);
  r.x = x;
  r.f = open_output(x);
  if (!r.f)
    return CLI_EXIT_FAILURE;
  r.w = cli_writer(x, r.f, true);
  progress_init(&r.prog, x->prog, isatty(STDERR_FILENO) != 0);
  uv_loop_init(&r.loop);
  if (cli_client_for_loop(x, &r.loop, on_state, &r, &r.c) != CLI_EXIT_OK) {
    r.rc = CLI_EXIT_FAILURE;
  } else {
    uv_signal_init(&r.loop, &r.sigint);
    uv_signal_init(&r.loop, &r.sigterm);
    r.sigint.data = r.sigterm.data = &r;
    uv_signal_start(&r.sigint, on_signal, SIGINT);
    uv_signal_start(&r.sigterm, on_signal, SIGTERM);
    gcmon_client_start(r.c);
    uv_run(&r.loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&r.loop);
  write_failed = r.w->err != 0; /* said already (a file) or by main() */
  writer_free(r.w);
  progress_clear(&r.prog);
  if (r.f != stdout && fclose(r.f) != 0 && !write_failed) {
    cli_error(x, "%s: cannot write: %s", x->out_path, strerror(errno));
    r.rc = CLI_EXIT_FAILURE;
    write_failed = true;
  }
  /* A failed write is the one line; no summary of a file that is not. */
  if (!write_failed && (r.samples > 0 || r.rc == CLI_EXIT_OK)) {
    fprintf(stderr, "%s: recorded %llu %s (%llu %s, %llu %s)\n", x->prog,
            (unsigned long long)r.samples,
            plural(r.samples, "sample", "samples"),
            (unsigned long long)r.gaps, plural(r.gaps, "gap", "gaps"),
            (unsigned long long)r.restarts,
            plural(r.restarts, "restart", "restarts"));
    /* How the line behaved: on a serial link, the only report of noise. */
    fprintf(stderr,
            "%s: link: %llu frames in, %llu dropped (%llu crc), %llu noise "
            "bytes, %llu %s\n",
            x->prog, (unsigned long long)r.link.frames_in,
            (unsigned long long)r.link.frames_dropped,
            (unsigned long long)r.link.crc_errors,
            (unsigned long long)r.link.bytes_discarded,
            (unsigned long long)(r.link.connects ? r.link.connects - 1 : 0),
            plural(r.link.connects ? r.link.connects - 1 : 0, "reconnect",
                   "reconnects"));
  }
  return r.rc;
}
