/* The control commands: collect, threshold, enable, disable. Each prints
 * the state the daemon reports after the change, not what was asked. */
#include "cli.h"
#include "units.h"

#include <string.h>

int cmd_collect(cli_ctx *x) {
  gcmon_client *c;
  gcmon_collect_result r;
  writer *w;
  int err, rc = cli_connect(x, &c);

  if (rc != CLI_EXIT_OK)
    return rc;
  err = gcmon_collect(c, &r, 0);
  if (err != 0) {
    rc = cli_fail(x, c, "collect", err);
  } else {
    w = cli_writer(x, stdout, false);
    emit_collect(w, &r);
    writer_free(w);
  }
  gcmon_client_close(c);
  return rc;
}

static int print_gc_field(cli_ctx *x, const gcmon_sample *s, bool threshold) {
  writer *w;
  if (!s->has_gc) {
    cli_error(x, "%s: the source has no gc heap", x->command);
    return CLI_EXIT_FAILURE;
  }
  w = cli_writer(x, stdout, false);
  w->ops->begin(w);
  if (threshold)
    w_threshold(w, "threshold", s->gc.threshold);
  else
    w_bool(w, "enabled", s->gc.enabled);
  w->ops->end(w);
  writer_free(w);
  return CLI_EXIT_OK;
}

int cmd_threshold(cli_ctx *x) {
  gcmon_client *c;
  gcmon_sample s;
  int64_t bytes = -1;
  int err, rc;

  if (x->argc == 1 && strcmp(x->argv[0], "off") != 0 &&
      units_parse_size(x->argv[0], &bytes) != 0) {
    return cli_usage_error(x,
                           "'%s' is not a size like 65536, 64K or 1M, or "
                           "'off'",
                           x->argv[0]);
  }
  rc = cli_connect(x, &c);
  if (rc != CLI_EXIT_OK)
    return rc;
  if (x->argc == 1)
    err = gcmon_set_threshold(c, bytes, &s, 0);
  else
    err = gcmon_get_sample(c, &s, 0);
  if (err != 0)
    rc = cli_fail(x, c, x->command, err);
  else
    rc = print_gc_field(x, &s, true);
  gcmon_client_close(c);
  return rc;
}

static int set_enabled(cli_ctx *x, bool on) {
  gcmon_client *c;
  gcmon_sample s;
  int err, rc = cli_connect(x, &c);

  if (rc != CLI_EXIT_OK)
    return rc;
  err = gcmon_set_enabled(c, on, &s, 0);
  if (err != 0)
    rc = cli_fail(x, c, x->command, err); /* "enable", as typed */
  else
    rc = print_gc_field(x, &s, false);
  gcmon_client_close(c);
  return rc;
}

int cmd_enable(cli_ctx *x) {
  return set_enabled(x, true);
}

int cmd_disable(cli_ctx *x) {
  return set_enabled(x, false);
}
