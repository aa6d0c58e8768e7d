/* gcmon diagnose: fill the series model from a live subscription (--for) or
 * a record/history CSV (--csv), run the verdicts, print them (text or
 * JSON) and optionally write the HTML report. Exit status 0 healthy,
 * 3 findings, 1 error, 2 usage (diagnose.h, docs/diagnose.md). */
#include "cli.h"
#include "diagnose_report.h"

#include <errno.h>
#include <string.h>

#define CLI_EXIT_FINDINGS 3

typedef struct {
  cli_ctx *x;
  gcmon_client *c;
  dg_model *m;
  int err; /* first failure: GCMON_ENOMEM or the subscription's error */
} watcher;

static void note_failure(watcher *wt, int e) {
  if (e != 0 && wt->err == 0) {
    wt->err = e;
    gcmon_client_break(wt->c);
  }
}

static void on_event(gcmon_subscription *s, const gcmon_event *ev, void *data) {
  watcher *wt = data;
  (void)s;

  switch (ev->type) {
  case GCMON_EVENT_SAMPLE:
    if (wt->err == 0)
      note_failure(wt, dg_model_add_sample(wt->m, ev->sample, ev->watermarks));
    break;
  case GCMON_EVENT_COLLECTION: {
    /* pause 0: unknown (a collection seen only in gc.collections) */
    const gcmon_collection *c = ev->collection;
    if (wt->err == 0)
      note_failure(wt, dg_model_add_collection(
                           wt->m, (double)c->start_uptime_us / 1e6,
                           c->pause_us ? (double)c->pause_us : DG_NAN,
                           c->alloc_after >= 0 ? (double)c->alloc_after
                                               : DG_NAN));
    break;
  }
  case GCMON_EVENT_ALARM:
    if (wt->err == 0)
      note_failure(wt, dg_model_alarm(
                           wt->m, (double)ev->alarm->sample.uptime_us / 1e6,
                           ev->alarm->alarm, ev->alarm->raised));
    break;
  case GCMON_EVENT_RESTART:
    dg_model_restart(wt->m);
    break;
  case GCMON_EVENT_ERROR:
    note_failure(wt, ev->err ? ev->err : GCMON_EPROTO);
    break;
  default:
    break;
  }
}

static int watch_board(cli_ctx *x, dg_model *m) {
  watcher wt = {x, NULL, m, 0};
  gcmon_subscribe_options opts = {.interval_ms = x->interval_ms,
                                  .watermarks = true,
                                  .collections = true,
                                  .alarms = true};
  gcmon_subscription *sub = NULL;
  int rc, e;

  rc = cli_connect(x, &wt.c);
  if (rc != CLI_EXIT_OK)
    return rc;
  /* Watermarks, collection records and alarm events where the daemon has
   * them (protocol 1.1); a 1.0 daemon ignores the asks and sends samples,
   * a source without a gc heap sends no collections: the checks that need
   * them then fall back to the samples (docs/diagnose.md). */
  e = gcmon_subscribe_ex(wt.c, &opts, on_event, &wt, &sub, x->timeout_ms);
  if (e != 0) {
    rc = cli_fail(x, wt.c, "subscribe", e);
    gcmon_client_close(wt.c);
    return rc;
  }
  e = gcmon_client_run(wt.c, x->for_ms);
  if (e == 0)
    e = wt.err;
  rc = e != 0 ? cli_fail(x, wt.c, "subscribe", e) : CLI_EXIT_OK;
  gcmon_client_close(wt.c);
  return rc;
}

static int read_csv(cli_ctx *x, dg_model *m) {
  FILE *f = strcmp(x->in_csv, "-") == 0 ? stdin : fopen(x->in_csv, "r");
  char err[160];
  int e;

  if (f == NULL) {
    cli_error(x, "%s: %s", x->in_csv, strerror(errno));
    return CLI_EXIT_FAILURE;
  }
  e = dg_model_load_csv(m, f, err, sizeof err);
  if (f != stdin)
    fclose(f);
  if (e != 0) {
    cli_error(x, "%s: %s", x->in_csv, err);
    return CLI_EXIT_FAILURE;
  }
  return CLI_EXIT_OK;
}

static int write_html(cli_ctx *x, const dg_model *m, const dg_report *r,
                      const char *input) {
  FILE *f = fopen(x->html_path, "w");
  int e;

  if (f == NULL) {
    cli_error(x, "%s: %s", x->html_path, strerror(errno));
    return CLI_EXIT_FAILURE;
  }
  e = dg_write_html(f, m, r, input);
  if (fclose(f) != 0 || e != 0) {
    cli_error(x, "%s: write failed", x->html_path);
    return CLI_EXIT_FAILURE;
  }
  return CLI_EXIT_OK;
}

int cmd_diagnose(cli_ctx *x) {
  dg_model m;
  dg_report r;
  dg_options o = {(double)x->run_period_ms / 1000.0};
  const char *input = x->in_csv ? x->in_csv : x->target;
  writer *w;
  int rc;

  if ((x->in_csv != NULL) == (x->for_ms != 0)) {
    cli_error(x, "diagnose: say what to diagnose: --for DURATION (watch the "
                 "board) or --csv FILE (see gcmon diagnose --help)");
    return CLI_EXIT_USAGE;
  }
  dg_model_init(&m);
  rc = x->in_csv ? read_csv(x, &m) : watch_board(x, &m);
  if (rc == CLI_EXIT_OK && m.n < 2) {
    cli_error(x, "%s: %zu samples: too few to diagnose", input, m.n);
    rc = CLI_EXIT_FAILURE;
  }
  if (rc != CLI_EXIT_OK) {
    dg_model_free(&m);
    return rc;
  }
  dg_diagnose(&m, &o, &r);
  w = cli_writer(x, stdout, false);
  dg_emit_report(w, &r, input, x->format == CLI_FORMAT_JSON);
  writer_free(w);
  if (x->html_path)
    rc = write_html(x, &m, &r, input);
  dg_model_free(&m);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    cli_error(x, "stdout: write failed");
    return CLI_EXIT_FAILURE;
  }
  if (rc != CLI_EXIT_OK)
    return rc;
  return r.findings ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}
