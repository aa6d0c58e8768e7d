/* The console side of a repl:// link (see repl.h): open the serial device,
 * interrupt whatever runs, enter the raw REPL, run snippets one at a time
 * and split what each prints (raw REPL: code, Ctrl-D, "OK", output, 0x04,
 * error text, 0x04, ">"). On close the friendly REPL is asked back with
 * Ctrl-B, so the board is left as a person would find it: only once the
 * raw REPL prompts again, since a port may discard input that arrives
 * while code runs (the unix port's tcsetattr(TCSAFLUSH) after each exec). */
#define _POSIX_C_SOURCE 200809L
#include "repl.h"

#include "gcmon/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BANNER "raw REPL; CTRL-B to exit\r\n>"
#define INTERRUPT_MS 150u
#define ENTER_MS 2000u
#define EXEC_MS 5000u
#define LEAVE_MS 1500u
/* serve_console()'s first line (the module's GCMON_MP_CONSOLE_READY); a
 * module older than it is given READY_MS instead. */
#define READY "gcmon: serving"
#define READY_MS 1500u

uint64_t gcmon__repl_now_us(gcmon__repl *r) {
  return uv_hrtime() / 1000u;
  (void)r;
}

static void on_handle_closed(uv_handle_t *h) {
  gcmon__repl *r = h->data;
  if (--r->live_handles == 0) {
    free(r->ring);
    free(r);
  }
}

static void teardown(gcmon__repl *r) {
  if (r->closing)
    return;
  r->closing = true;
  r->phase = GCMON__REPL_DEAD;
  gcmon__transport_close(r->line);
  r->line = NULL;
  uv_close((uv_handle_t *)&r->timer, on_handle_closed);
  uv_close((uv_handle_t *)&r->tick, on_handle_closed);
  uv_close((uv_handle_t *)&r->kick, on_handle_closed);
}

void gcmon__repl_fail(gcmon__repl *r, int err, const char *fmt, ...) {
  gcmon__transport *t = r->outer;
  bool was_open;
  va_list ap;

  if (!t || r->phase == GCMON__REPL_DEAD)
    return;
  va_start(ap, fmt);
  vsnprintf(t->errmsg, sizeof t->errmsg, fmt, ap);
  va_end(ap);
  was_open = t->open;
  t->open = false;
  r->phase = GCMON__REPL_DEAD;
  uv_timer_stop(&r->timer);
  uv_timer_stop(&r->tick);
  uv_timer_stop(&r->kick);
  if (was_open)
    t->cbs->on_error(t, err);
  else
    t->cbs->on_open(t, err);
}

void gcmon__repl_deliver(gcmon__repl *r, const uint8_t *bytes, size_t n) {
  gcmon__transport *t = r->outer;
  if (t && t->open && !t->closing && t->data)
    t->cbs->on_read(t, bytes, n);
}

static int line_write(gcmon__repl *r, const char *s, size_t n) {
  return gcmon__transport_write(r->line, (const uint8_t *)s, n);
}

/* Printable rendering of what the console said, for error messages. */
static void shown(const gcmon__repl *r, char *dst, size_t cap) {
  size_t j = 0, from = r->in_len > 48 ? r->in_len - 48 : 0;
  for (size_t i = from; i < r->in_len && j + 5 < cap; i++) {
    uint8_t c = r->in[i];
    if (c >= 0x20 && c < 0x7f)
      dst[j++] = (char)c;
    else
      j += (size_t)snprintf(dst + j, cap - j, "\\x%02x", c);
  }
  dst[j] = '\0';
}

static void consume(gcmon__repl *r, size_t n) {
  memmove(r->in, r->in + n, r->in_len - n);
  r->in_len -= n;
}

/* ---- snippets ---------------------------------------------------------- */

static void on_exec_timeout(uv_timer_t *tm) {
  gcmon__repl *r = tm->data;
  char saw[256];
  shown(r, saw, sizeof saw);
  gcmon__repl_fail(r, GCMON_ETIMEDOUT,
                   "%s: the raw REPL did not finish a snippet within %u ms "
                   "(last console bytes: '%s')",
                   r->outer ? r->outer->uri.path : "?", EXEC_MS, saw);
}

/* Snippets, each followed by Ctrl-D, in one write: n of them, the first
 * allowed while up to depth-1 others fly. */
static int exec_some(gcmon__repl *r, const char *const *code, int n,
                     gcmon__repl_done done, int depth) {
  char buf[GCMON__REPL_OUT_MAX];
  size_t len = 0;
  int err;

  if (r->nfly >= depth || r->nfly + n > 2)
    return GCMON_EBUSY;
  for (int i = 0; i < n; i++) {
    size_t k = strlen(code[i]);
    if (len + k + 1 > sizeof buf)
      return GCMON_EINVAL;
    memcpy(buf + len, code[i], k);
    buf[len + k] = 0x04;
    len += k + 1;
  }
  if (r->nfly == 0) {
    r->stage = 0;
    r->out_len = 0;
    r->err_len = 0;
  }
  err = line_write(r, buf, len);
  if (err != 0)
    return err;
  for (int i = 0; i < n; i++) {
    r->fly[r->nfly].done = done;
    r->fly[r->nfly].started_us = gcmon__repl_now_us(r);
    if (r->nfly++ == 0)
      uv_timer_start(&r->timer, on_exec_timeout, EXEC_MS, 0);
  }
  return 0;
}

int gcmon__repl_exec_depth(gcmon__repl *r, const char *code,
                           gcmon__repl_done done, int depth) {
  return exec_some(r, &code, 1, done, depth);
}

int gcmon__repl_exec_pair(gcmon__repl *r, const char *first,
                          const char *second, gcmon__repl_done done) {
  const char *both[2] = {first, second};
  return exec_some(r, both, 2, done, 1);
}

void gcmon__repl_exec_abandon(gcmon__repl *r) {
  uv_timer_stop(&r->timer);
  r->nfly = 0;
  r->stage = 0;
  r->out_len = 0;
  r->err_len = 0;
  (void)line_write(r, "\x03", 1); /* the raw REPL: clear a partial line */
}

int gcmon__repl_exec(gcmon__repl *r, const char *code, gcmon__repl_done done) {
  return gcmon__repl_exec_depth(r, code, done, 1);
}

/* The oldest snippet has ended: hand its output over. */
static void exec_finished(gcmon__repl *r) {
  gcmon__repl_done done = r->fly[0].done;
  r->out[r->out_len] = '\0';
  r->err[r->err_len] = '\0';
  r->took_us = gcmon__repl_now_us(r) - r->fly[0].started_us;
  r->fly[0] = r->fly[1];
  if (--r->nfly > 0) {
    r->fly[0].started_us = gcmon__repl_now_us(r); /* its turn starts now */
    uv_timer_start(&r->timer, on_exec_timeout, EXEC_MS, 0);
  } else {
    uv_timer_stop(&r->timer);
  }
  if (done)
    done(r, r->err_len ? GCMON_EIO : 0);
  r->stage = 0;
  r->out_len = 0;
  r->err_len = 0;
}

/* Advance the running snippets over the console bytes. */
static void exec_progress(gcmon__repl *r) {
  size_t i = 0;
  while (r->nfly > 0 && i < r->in_len) {
    uint8_t c = r->in[i];
    if (r->stage == 0) {
      if (r->in_len - i < 2)
        break;
      if (c == 'O' && r->in[i + 1] == 'K') {
        r->stage = 1;
        i += 2;
      } else {
        r->text_bytes++;
        i++;
      }
    } else if (r->stage == 1 || r->stage == 2) {
      i++;
      if (c == 0x04)
        r->stage++;
      else if (r->stage == 1 && r->out_len + 1 < sizeof r->out)
        r->out[r->out_len++] = (char)c;
      else if (r->stage == 2 && r->err_len + 1 < sizeof r->err)
        r->err[r->err_len++] = (char)c;
    } else {
      i++;
      if (c == '>') {
        consume(r, i);
        i = 0;
        exec_finished(r);
        if (r->phase == GCMON__REPL_DEAD)
          return;
      }
    }
  }
  if (r->nfly == 0) {
    r->text_bytes += r->in_len; /* console text between snippets */
    r->in_len = 0;
  } else {
    consume(r, i);
  }
}

/* ---- handshake --------------------------------------------------------- */

/* serve_console() pumps: the session's bytes may flow. Console bytes up to
 * `from` were text; the rest (none yet: we have not spoken) is the agent's. */
static void agent_ready(gcmon__repl *r, size_t from) {
  uint8_t rest[sizeof r->in];
  size_t n = r->in_len - from;

  memcpy(rest, r->in + from, n);
  uv_timer_stop(&r->timer);
  r->phase = GCMON__REPL_AGENT;
  r->text_bytes += from;
  r->in_len = 0;
  if (r->outer)
    gcmon__transport_opened_virtual(r->outer);
  if (n > 0 && r->phase == GCMON__REPL_AGENT)
    gcmon__repl_deliver(r, rest, n);
}

static void on_ready_timeout(uv_timer_t *tm) {
  gcmon__repl *r = tm->data;
  agent_ready(r, r->in_len);
}

static void serve_console(gcmon__repl *r, bool with_baud);

static void agent_ready_check(gcmon__repl *r) {
  size_t n = strlen(READY);
  for (size_t i = 0; i + n <= r->in_len; i++)
    if (memcmp(r->in + i, READY, n) == 0) {
      const uint8_t *nl = memchr(r->in + i, '\n', r->in_len - i);
      if (nl)
        agent_ready(r, (size_t)(nl - r->in) + 1);
      return;
    }
  /* The call ended at once (its error text, then the raw REPL's prompt):
   * a module without the baud argument is asked again without it. */
  for (size_t i = 0; i + 1 < r->in_len; i++)
    if (r->in[i] == 0x04 && r->in[i + 1] == '>') {
      char saw[256];
      if (r->served_baud) {
        serve_console(r, false);
        return;
      }
      shown(r, saw, sizeof saw);
      gcmon__repl_fail(r, GCMON_EPROTO, "%s: serve_console() failed: '%s'",
                       r->outer ? r->outer->uri.path : "?", saw);
      return;
    }
  if (r->in_len > sizeof r->in / 2)
    consume(r, r->in_len - sizeof r->in / 4);
}

/* The agent takes the console over until we close. On a UART console
 * (?baud=N given) it learns the line's speed, so its lag bound holds. */
static void serve_console(gcmon__repl *r, bool with_baud) {
  char call[64];
  if (with_baud)
    snprintf(call, sizeof call, "gcmon.serve_console(baud=%lu)",
             (unsigned long)r->outer->uri.baud);
  else
    snprintf(call, sizeof call, "gcmon.serve_console()");
  if (gcmon__repl_exec(r, call, NULL) != 0) {
    gcmon__repl_fail(r, GCMON_EIO, "%s: cannot start serve_console",
                     r->outer->uri.path);
    return;
  }
  r->nfly = 0;
  r->phase = GCMON__REPL_AGENT_START;
  r->served_baud = with_baud;
  r->in_len = 0;
  uv_timer_start(&r->timer, on_ready_timeout, READY_MS, 0);
}

/* A USB CDC ACM console (ttyACM*, as CanMV's) runs at USB speed whatever
 * its baud says; any other console is taken to be a UART at the line's
 * baud (given, or the default), so the agent bounds lateness on it: on a
 * saturated UART an unbounded agent fills the console's buffer and the
 * REPL comes back only once that has drained (16 s at 9600 baud, bench). */
static bool console_is_uart(const gcmon__repl *r) {
  return r->outer->uri.baud_given || !gcmon_serial_is_usb_cdc(r->outer->uri.path);
}

static void on_probe(gcmon__repl *r, int err) {
  if (err == 0 && strncmp(r->out, "True", 4) == 0) {
    serve_console(r, console_is_uart(r));
    return;
  }
  r->phase = GCMON__REPL_STOCK;
  gcmon__repl_stock_start(r);
}

static void enter_raw_check(gcmon__repl *r) {
  size_t n = strlen(BANNER);
  for (size_t i = 0; i + n <= r->in_len; i++)
    if (memcmp(r->in + i, BANNER, n) == 0) {
      uv_timer_stop(&r->timer);
      consume(r, i + n);
      r->in_len = 0;
      r->phase = GCMON__REPL_SETUP;
      if (gcmon__repl_exec(r,
                           "try:\n import gcmon\n"
                           " print(hasattr(gcmon,'serve_console'))\n"
                           "except ImportError:\n print(False)\n",
                           on_probe) != 0)
        gcmon__repl_fail(r, GCMON_EIO, "%s: write failed",
                         r->outer->uri.path);
      return;
    }
  if (r->in_len > sizeof r->in / 2)
    consume(r, r->in_len - sizeof r->in / 4);
}

static void on_enter_timeout(uv_timer_t *tm) {
  gcmon__repl *r = tm->data;
  char saw[256];
  shown(r, saw, sizeof saw);
  gcmon__repl_fail(r, GCMON_ETIMEDOUT,
                   "%s: no MicroPython raw REPL answered Ctrl-A within %u ms "
                   "(the console said: '%s')",
                   r->outer->uri.path, ENTER_MS, saw[0] ? saw : "nothing");
}

static void on_interrupted(uv_timer_t *tm) {
  gcmon__repl *r = tm->data;
  r->in_len = 0; /* whatever the interrupted program printed */
  r->phase = GCMON__REPL_ENTER;
  if (line_write(r, "\r\x01", 2) != 0) {
    gcmon__repl_fail(r, GCMON_EIO, "%s: write failed", r->outer->uri.path);
    return;
  }
  uv_timer_start(&r->timer, on_enter_timeout, ENTER_MS, 0);
}

/* ---- the serial line's callbacks --------------------------------------- */

static void line_open(gcmon__transport *line, int err) {
  gcmon__repl *r = line->data;
  if (err != 0) {
    gcmon__repl_fail(r, err, "%s", line->errmsg);
    return;
  }
  /* Ctrl-C twice: stop a running program (and a paste in progress). */
  if (line_write(r, "\r\x03\x03", 3) != 0) {
    gcmon__repl_fail(r, GCMON_EIO, "%s: write failed", r->outer->uri.path);
    return;
  }
  uv_timer_start(&r->timer, on_interrupted, INTERRUPT_MS, 0);
}

/* ---- leaving ------------------------------------------------------------ */

static void leave_now(gcmon__repl *r) {
  if (r->line && r->line->open)
    (void)gcmon__transport_write_now(r->line, (const uint8_t *)"\x02", 1);
  teardown(r);
}

static void on_leave_timeout(uv_timer_t *tm) {
  leave_now(tm->data); /* ask for the friendly REPL anyway */
}

/* The end of a snippet is 0x04 ">" (serve_console's: 0x04 0x04 ">", no
 * output and no error, which a frame still in flight is unlikely to
 * contain; its last frames come before the pump reads our Ctrl-C). */
static void leave_read(gcmon__repl *r, const uint8_t *data, size_t n) {
  bool agent = r->nfly == 0;
  for (size_t i = 0; i < n && r->phase == GCMON__REPL_LEAVING; i++) {
    if (data[i] == '>' && r->leave_tail[1] == 0x04 &&
        (!agent || r->leave_tail[0] == 0x04) && --r->leave_prompts == 0)
      leave_now(r);
    r->leave_tail[0] = r->leave_tail[1];
    r->leave_tail[1] = data[i];
  }
}

static void line_read(gcmon__transport *line, const uint8_t *data, size_t n) {
  gcmon__repl *r = line->data;
  if (r->phase == GCMON__REPL_LEAVING) {
    leave_read(r, data, n);
    return;
  }
  if (r->phase == GCMON__REPL_AGENT) {
    gcmon__repl_deliver(r, data, n);
    return;
  }
  while (n > 0 && r->phase != GCMON__REPL_DEAD) {
    size_t room = sizeof r->in - r->in_len;
    size_t take = n < room ? n : room;
    if (take == 0) {
      r->text_bytes += r->in_len;
      r->in_len = 0;
      continue;
    }
    memcpy(r->in + r->in_len, data, take);
    r->in_len += take;
    data += take;
    n -= take;
    if (r->phase == GCMON__REPL_ENTER)
      enter_raw_check(r);
    else if (r->phase == GCMON__REPL_AGENT_START)
      agent_ready_check(r);
    else if (r->phase == GCMON__REPL_INTERRUPT)
      ; /* dropped once the interrupt settles */
    else
      exec_progress(r);
  }
}

static void line_error(gcmon__transport *line, int err) {
  gcmon__repl *r = line->data;
  if (r->phase == GCMON__REPL_LEAVING) {
    teardown(r);
    return;
  }
  gcmon__repl_fail(r, err, "%s", line->errmsg);
}

static const gcmon__transport_cbs line_cbs = {line_open, line_read,
                                              line_error};

/* ---- transport hooks --------------------------------------------------- */

int gcmon__repl_open(gcmon__transport *t) {
  gcmon__repl *r = calloc(1, sizeof *r);
  gcmon__uri line_uri = t->uri;
  int err;

  if (!r)
    return GCMON_ENOMEM;
  r->ring = calloc(GCMON__REPL_RING, sizeof *r->ring);
  if (!r->ring) {
    free(r);
    return GCMON_ENOMEM;
  }
  r->outer = t;
  r->loop = t->loop;
  uv_timer_init(t->loop, &r->timer);
  uv_timer_init(t->loop, &r->tick);
  uv_timer_init(t->loop, &r->kick);
  r->timer.data = r->tick.data = r->kick.data = r;
  r->live_handles = 3;
  t->repl = r;
  line_uri.kind = GCMON__URI_SERIAL;
  err = gcmon__transport_open(&r->line, t->loop, &line_uri, &line_cbs, r);
  if (err != 0) {
    t->repl = NULL;
    teardown(r);
  }
  return err;
}

int gcmon__repl_write(gcmon__repl *r, const uint8_t *bytes, size_t n) {
  if (r->phase == GCMON__REPL_AGENT)
    return gcmon__transport_write(r->line, bytes, n);
  if (r->phase != GCMON__REPL_STOCK)
    return GCMON_ECLOSED;
  gcmon__repl_stock_input(r, bytes, n);
  return 0;
}

void gcmon__repl_close(gcmon__repl *r) {
  bool agent = r->phase == GCMON__REPL_AGENT ||
               r->phase == GCMON__REPL_AGENT_START;
  int prompts = agent ? 1 : r->nfly;
  r->outer = NULL;
  if (!r->line || !r->line->open || r->phase == GCMON__REPL_DEAD ||
      r->phase == GCMON__REPL_LEAVING) {
    teardown(r);
    return;
  }
  /* Back to the friendly prompt: end serve_console (its close byte) or
   * let the running snippets finish first. */
  if (agent) {
    r->nfly = 0;
    (void)gcmon__transport_write_now(r->line, (const uint8_t *)"\x03", 1);
  }
  if (prompts == 0) {
    leave_now(r);
    return;
  }
  r->phase = GCMON__REPL_LEAVING;
  r->leave_prompts = prompts;
  r->leave_tail[0] = r->leave_tail[1] = r->stage == 3 ? 0x04 : 0;
  uv_timer_stop(&r->tick);
  uv_timer_stop(&r->kick);
  uv_timer_start(&r->timer, on_leave_timeout, LEAVE_MS, 0);
}
