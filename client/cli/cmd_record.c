/* gcmon record: stream every sample to a file until SIGINT/SIGTERM.
 *
 * Runs libgcmon in event-loop mode on our own libuv loop, with reconnect:
 * the library resumes the subscription from the last seq after a lost
 * link, so the file holds a contiguous seq run; what could not be
 * recovered is a "gap" row, a daemon restart a "restart" row. Each row is
 * flushed as it is written, so a killed recorder loses nothing it printed.
 * The first connection is not retried: an unreachable target is an error. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <string.h>
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
    emit_series_sample(r->w, run_id, ev->sample);
    r->samples++;
    break;
  case GCMON_EVENT_GAP:
    emit_gap(r->w, run_id, ev->gap_first, ev->gap_last);
    r->gaps++;
    cli_error(r->x, "seq %llu..%llu could not be recovered (marked as a gap)",
              (unsigned long long)ev->gap_first,
              (unsigned long long)ev->gap_last);
    break;
  case GCMON_EVENT_RESTART:
    emit_restart(r->w, ev->run_id, ev->prev_run_id);
    r->restarts++;
    cli_error(r->x, "the daemon restarted (new run_id); seq starts again");
    break;
  case GCMON_EVENT_ERROR:
    cli_fail(r->x, r->c, "subscribe", ev->err);
    shutdown_recorder(r, CLI_EXIT_FAILURE);
    break;
  case GCMON_EVENT_ALARM:
    emit_alarm(r->w, run_id, ev->alarm);
    break;
  case GCMON_EVENT_SUBSCRIBED:
  case GCMON_EVENT_LINK_DOWN:
  case GCMON_EVENT_COLLECTION:
    break;
  }
  if (ferror(r->f) && !r->stopping) {
    cli_error(r->x, "%s: write failed", r->x->out_path);
    shutdown_recorder(r, CLI_EXIT_FAILURE);
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
          cli_subscribe_with_alarms(c, r->x->interval_ms, on_event, r, &r->sub);
      if (e != 0) {
        cli_fail(r->x, c, "subscribe", e);
        shutdown_recorder(r, CLI_EXIT_FAILURE);
      }
    }
    break;
  case GCMON_STATE_BACKOFF:
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

  if (!x->out_path) {
    cli_error(x, "record: say where: --csv FILE or --json FILE (see gcmon "
                 "record --help)");
    return CLI_EXIT_USAGE;
  }
  memset(&r, 0, sizeof r);
  r.x = x;
  r.f = open_output(x);
  if (!r.f)
    return CLI_EXIT_FAILURE;
  r.w = cli_writer(x, r.f, true);
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
  writer_free(r.w);
  if (r.f != stdout)
    fclose(r.f);
  if (r.samples > 0 || r.rc == CLI_EXIT_OK) {
    fprintf(stderr, "%s: recorded %llu samples (%llu gaps, %llu restarts)\n",
            x->prog, (unsigned long long)r.samples, (unsigned long long)r.gaps,
            (unsigned long long)r.restarts);
    /* How the line behaved: on a serial link, the only report of noise. */
    fprintf(stderr,
            "%s: link: %llu frames in, %llu dropped (%llu crc), %llu noise "
            "bytes, %llu reconnects\n",
            x->prog, (unsigned long long)r.link.frames_in,
            (unsigned long long)r.link.frames_dropped,
            (unsigned long long)r.link.crc_errors,
            (unsigned long long)r.link.bytes_discarded,
            (unsigned long long)(r.link.connects ? r.link.connects - 1 : 0));
  }
  return r.rc;
}
