/* gcmon info and gcmon stat: one call each, one record out. */
#include "cli.h"

int cmd_info(cli_ctx *x) {
  gcmon_client *c;
  writer *w;
  const gcmon_status *st;
  gcmon_console_info ci;
  int rc = cli_connect(x, &c);

  if (rc != CLI_EXIT_OK)
    return rc;
  w = cli_writer(x, stdout, false);
  emit_info(w, gcmon_client_info(c),
            gcmon_client_console_info(c, &ci) == 0 ? &ci : NULL);
  writer_free(w);
  st = gcmon_client_status(c);
  if (st->message[0] && x->format == CLI_FORMAT_TEXT)
    fprintf(stderr, "%s: note from the daemon: %s\n", x->prog, st->message);
  gcmon_client_close(c);
  return CLI_EXIT_OK;
}

int cmd_stat(cli_ctx *x) {
  gcmon_client *c;
  gcmon_sample s;
  writer *w;
  int err, rc = cli_connect(x, &c);

  if (rc != CLI_EXIT_OK)
    return rc;
  err = gcmon_get_sample(c, &s, 0);
  if (err != 0) {
    rc = cli_fail(x, c, "get_sample", err);
  } else {
    w = cli_writer(x, stdout, false);
    emit_sample(w, &s);
    writer_free(w);
  }
  gcmon_client_close(c);
  return rc;
}
