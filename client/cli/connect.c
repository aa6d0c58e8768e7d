/* Opening a client for a command, and the one line on stderr for every
 * way a command can fail at run time. The lines name what the user can
 * act on: the target, the --timeout, the token options, the source. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

void cli_error(const cli_ctx *x, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: ", x->prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int cli_usage_error(const cli_ctx *x, const char *fmt, ...) {
  va_list ap;
  const char *sp = x->command ? " " : "", *cmd = x->command ? x->command : "";
  fprintf(stderr, "%s%s%s: ", x->prog, sp, cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (see %s%s%s --help)\n", x->prog, sp, cmd);
  return CLI_EXIT_USAGE;
}

void cli_note_interval(const cli_ctx *x, uint32_t granted_ms) {
  if (x->interval_ms == 0 || x->interval_ms == granted_ms)
    return;
  fprintf(stderr,
          "%s %s: --interval %u ms: the daemon grants %u ms (a multiple of "
          "its sampling period)\n",
          x->prog, x->command, x->interval_ms, (unsigned)granted_ms);
}

static void fill_options(cli_ctx *x, gcmon_client_options *o) {
  memset(o, 0, sizeof *o);
  o->client_name = "gcmon";
  o->token = x->have_token ? x->token : NULL;
  o->token_len = x->have_token ? x->token_len : 0;
  o->require_mac = x->require_mac;
  o->timeout_ms = x->timeout_ms;
}

static void format_timeout(unsigned ms, char *out, size_t len) {
  if (ms % 1000 == 0)
    snprintf(out, len, "%u s", ms / 1000);
  else
    snprintf(out, len, "%u ms", ms);
}

int cli_fail(cli_ctx *x, gcmon_client *c, const char *call, int err) {
  const char *detail = c ? gcmon_client_errmsg(c) : "";
  const gcmon_status *st = c ? gcmon_client_status(c) : NULL;
  const char *msg = st && st->message[0] ? st->message : NULL;
  char t[32];

  format_timeout(x->timeout_ms, t, sizeof t);
  switch (err) {
  case GCMON_EPERM:
    cli_error(x,
              "%s: permission denied: this session may not control the "
              "daemon; %s",
              call ? call : x->command,
              x->have_token ? "the token given was not accepted"
                            : "pass the daemon's token with --token-file FILE "
                              "or GCMON_TOKEN");
    break;
  case GCMON_EUNAVAIL:
    /* The source's name says it all; the daemon's own words only when
     * it did not say which source it runs. */
    if (c && gcmon_client_info(c)->source[0])
      cli_error(x, "%s: unavailable on source '%s'", call ? call : x->command,
                gcmon_client_info(c)->source);
    else
      cli_error(x, "%s: unavailable%s%s", call ? call : x->command,
                msg ? ": " : "", msg ? msg : "");
    break;
  case GCMON_ETIMEDOUT:
    if (call)
      cli_error(x, "%s: %s: no answer within %s (see --timeout)", x->target,
                call, t);
    else
      cli_error(x, "%s: no session within %s (see --timeout)", x->target, t);
    break;
  case GCMON_ECLOSED:
    if (call) {
      cli_error(x, "%s: connection lost%s%s", x->target, detail[0] ? ": " : "",
                detail);
      break;
    }
    /* fall through - lost before the session began */
  case GCMON_ECONNECT:
  case GCMON_ENODEV:
  case GCMON_EIO:
    cli_error(x, "cannot reach %s: %s", x->target,
              detail[0] ? detail : gcmon_strerror(err));
    break;
  default:
    if (detail[0])
      cli_error(x, "%s", detail);
    else
      cli_error(x, "%s: %s", call ? call : x->target, gcmon_strerror(err));
    break;
  }
  return CLI_EXIT_FAILURE;
}

int cli_connect(cli_ctx *x, gcmon_client **out) {
  gcmon_client_options o;
  gcmon_client *c;
  int err;

  *out = NULL;
  fill_options(x, &o);
  err = gcmon_client_init(&c, NULL, x->target, &o);
  if (err != 0) {
    cli_error(x, "%s: %s", x->target, gcmon_strerror(err));
    return CLI_EXIT_FAILURE;
  }
  err = gcmon_client_connect(c, 0);
  if (err != 0) {
    int rc = cli_fail(x, c, NULL, err);
    gcmon_client_close(c);
    return rc;
  }
  *out = c;
  return CLI_EXIT_OK;
}

int cli_client_for_loop(cli_ctx *x, struct uv_loop_s *loop,
                        gcmon_state_cb on_state, void *data,
                        gcmon_client **out) {
  gcmon_client_options o;
  int err;

  fill_options(x, &o);
  o.reconnect = true;
  o.on_state = on_state;
  o.data = data;
  err = gcmon_client_init(out, loop, x->target, &o);
  if (err != 0) {
    cli_error(x, "%s: %s", x->target, gcmon_strerror(err));
    return CLI_EXIT_FAILURE;
  }
  return CLI_EXIT_OK;
}

writer *cli_writer(cli_ctx *x, FILE *out, bool stream) {
  unsigned flags = (stream ? WRITER_STREAM : 0u) |
                   (x->raw_bytes ? WRITER_RAW_BYTES : 0u) |
                   (x->wide ? WRITER_WIDE : 0u);
  writer *w;
  switch (x->format) {
  case CLI_FORMAT_JSON:
    w = writer_json_new(out, flags);
    break;
  case CLI_FORMAT_CSV:
    w = writer_csv_new(out, flags, emit_series_columns);
    break;
  case CLI_FORMAT_TEXT:
  default:
    w = writer_text_new(out, flags);
    break;
  }
  if (w && out == stdout)
    w->err_sink = &x->out_errno;
  return w;
}
