/* `gcmon run` beside the agent (see run_agent.h). The script goes up
 * inside a small wrapper that starts gcmon.serve_console(beside=True) on a
 * _thread, waits until it serves, runs the script with exec() in the
 * REPL's globals, then calls gcmon.serve_console_stop(): it prints a
 * tagged end line (0x1E "GCX") and returns once the host has answered it
 * with its close byte (or after 2 s) and the pump has left the console:
 * no byte of the host's is left for the raw REPL to run.
 *
 * Here, on one libuv loop: the console's bytes are split into frames
 * (checked: flag, body, flag with a valid CRC) and text. Frames go to a
 * libgcmon session over a pty pair (the library's own serial:// link on
 * the pty's far end), which subscribes and hands samples to the writer;
 * text goes to stdout as it comes. The session's frames go back to the
 * console whole; the close byte (0x03) goes only between two of them.
 * A '~' (the flag byte) in the script's text holds that text until the
 * next flag shows it is no frame, or QUIET_MS pass. */
#define _GNU_SOURCE /* posix_openpt, ptsname, cfmakeraw */
#include "run_agent.h"
#include "units.h"

#include "gcmon_frame.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#define WRAPPER                                                              \
  "import gcmon,_thread\n"                                                   \
  "def _gcmon_run(src,g):\n"                                                 \
  " l=_thread.allocate_lock()\n"                                             \
  " l.acquire()\n"                                                           \
  " up=[0]\n"                                                                \
  " def ready():\n"                                                          \
  "  up[0]=1\n"                                                              \
  "  l.release()\n"                                                          \
  " def pump():\n"                                                           \
  "  try:\n"                                                                 \
  "   gcmon.serve_console(beside=True,ready=ready,timeout_ms=%u%s)\n"        \
  "  except Exception as e:\n"                                               \
  "   print('gcmon: serve_console:',e)\n"                                    \
  "  if not up[0]:\n"                                                        \
  "   up[0]=1\n"                                                             \
  "   l.release()\n"                                                         \
  " _thread.start_new_thread(pump,())\n"                                     \
  " l.acquire()\n"                                                           \
  " try:\n"                                                                  \
  "  exec(src,g)\n"                                                          \
  " finally:\n"                                                              \
  "  gcmon.serve_console_stop()\n"                                           \
  "try:\n"                                                                   \
  " _gcmon_run("
#define WRAPPER_END                                                          \
  ",globals())\n"                                                            \
  "finally:\n"                                                               \
  " del _gcmon_run\n"

#define READY "gcmon: serving"
#define QUIET_MS 150u

typedef struct agent {
  cli_ctx *x;
  run_console *con;
  writer *w;
  run_agent_result *res;
  uv_loop_t loop;
  uv_poll_t console_poll, sig_poll;
  uv_pipe_t pty; /* the master side; libgcmon has the slave */
  uv_timer_t quiet;
  int sigfd, slave;
  char target[128];
  char pty_in[4096]; /* the session's bytes, one read at a time */
  gcmon_client *c;
  gcmon_subscription *sub;
  /* board -> host: between flags, a frame or text that held a '~' */
  bool in_frame;
  uint8_t run[GCMON_FRAME_WIRE_MAX];
  size_t run_len;
  uint8_t dec_buf[GCMON_FRAME_MAX];
  /* host -> board */
  bool host_in_frame; /* the session's bytes: inside a frame */
  bool close_wanted;  /* the close byte goes at the frame's end */
  bool close_sent;    /* nothing of the session's goes to the board now */
  int interrupts;     /* the user's Ctrl-Cs */
  /* text */
  bool serving;       /* the ready line came */
  int stage;          /* 1 output, 2 error text, 3 prompt, 4 done */
  size_t err_len;
  char line[256];     /* before the ready line: text by lines */
  size_t line_len;
  bool in_tag;
  char tag[64];
  size_t tag_len;
  bool stopping;
} agent;

/* ---- the libgcmon session ---------------------------------------------- */

static void on_event(gcmon_subscription *s, const gcmon_event *ev,
                     void *data) {
  agent *a = data;
  run_agent_result *r = a->res;
  (void)s;

  if (ev->type == GCMON_EVENT_SAMPLE) {
    uint64_t seq = ev->sample->seq;
    if (r->samples == 0)
      r->first_seq = seq;
    else if (seq > r->last_seq + 1)
      r->gaps += seq - r->last_seq - 1;
    r->last_seq = seq;
    r->samples++;
    if (a->w)
      emit_series_sample(a->w, gcmon_client_info(a->c)->run_id, ev->sample,
                         NULL, cli_wall_now_us());
    run_status_line(a->x, ev->sample);
  } else if (ev->type == GCMON_EVENT_ERROR && !a->stopping) {
    cli_fail(a->x, a->c, "subscribe", ev->err);
  }
}

static void on_state(gcmon_client *c, gcmon_state st, int err, void *data) {
  agent *a = data;
  if (a->stopping)
    return;
  if (st == GCMON_STATE_READY && !a->sub) {
    a->res->served = true;
    int e = gcmon_subscribe_async(c, a->x->interval_ms ? a->x->interval_ms
                                                       : 1000,
                                  0, on_event, a, &a->sub);
    if (e != 0)
      cli_fail(a->x, c, "subscribe", e);
  } else if (st == GCMON_STATE_FAILED) {
    cli_error(a->x, "the agent's session over the console failed (%s); "
                    "the script runs on",
              gcmon_client_errmsg(c)[0] ? gcmon_client_errmsg(c)
                                        : gcmon_strerror(err));
  }
}

static void start_session(agent *a) {
  gcmon_client_options o;
  int err;

  memset(&o, 0, sizeof o);
  o.client_name = "gcmon run";
  o.timeout_ms = a->x->timeout_ms;
  o.on_state = on_state;
  o.data = a;
  err = gcmon_client_init(&a->c, &a->loop, a->target, &o);
  if (err == 0)
    err = gcmon_client_start(a->c);
  if (err != 0)
    cli_error(a->x, "%s: %s", a->target, gcmon_strerror(err));
}

/* ---- host -> board ----------------------------------------------------- */

static void send_close(agent *a) {
  if (a->close_sent || a->close_wanted)
    return;
  if (a->host_in_frame) {
    a->close_wanted = true;
    return;
  }
  a->close_sent = true;
  (void)console_write(a->con, "\x03", 1);
}

static void on_pty_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf) {
  agent *a = h->data;
  (void)want;
  *buf = uv_buf_init(a->pty_in, sizeof a->pty_in);
}

/* The session's bytes: to the board, whole frames only once closing. */
static void on_pty_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  agent *a = s->data;
  size_t upto = 0;

  if (n <= 0 || a->close_sent || a->stage >= 2)
    return;
  for (ssize_t i = 0; i < n; i++) {
    if ((uint8_t)buf->base[i] != GCMON_FRAME_FLAG)
      continue;
    a->host_in_frame = !a->host_in_frame;
    if (!a->host_in_frame && a->close_wanted) {
      upto = (size_t)i + 1;
      break;
    }
  }
  if (a->close_wanted && upto > 0) {
    (void)console_write(a->con, buf->base, upto);
    a->close_wanted = false;
    send_close(a);
    return;
  }
  (void)console_write(a->con, buf->base, (size_t)n);
}

static void on_written(uv_write_t *req, int status) {
  (void)status;
  free(req);
}

/* A frame from the board to the session. */
static void to_session(agent *a) {
  uv_write_t *req = malloc(sizeof *req + a->run_len + 2);
  char *p;
  if (!req)
    return;
  p = (char *)(req + 1);
  p[0] = (char)GCMON_FRAME_FLAG;
  memcpy(p + 1, a->run, a->run_len);
  p[a->run_len + 1] = (char)GCMON_FRAME_FLAG;
  uv_buf_t b = uv_buf_init(p, (unsigned)a->run_len + 2);
  if (uv_write(req, (uv_stream_t *)&a->pty, &b, 1, on_written) != 0)
    free(req);
}

/* ---- board -> host: text ----------------------------------------------- */

static void finish(agent *a);

static void tagged(agent *a) {
  a->tag[a->tag_len] = '\0';
  if (strncmp(a->tag, "GCX", 3) == 0 && a->serving)
    send_close(a); /* the script has ended: the pump waits for it */
}

static void text(agent *a, uint8_t c) {
  if (a->stage == 3) {
    if (c == '>') {
      a->stage = 4;
      finish(a);
    }
    return;
  }
  if (c == 0x04) {
    if (a->line_len)
      fwrite(a->line, 1, a->line_len, stdout);
    a->line_len = 0;
    a->stage++;
    return;
  }
  if (a->stage == 2) {
    if (a->err_len + 1 < sizeof a->res->err)
      a->res->err[a->err_len++] = (char)c;
    return;
  }
  if (a->in_tag) {
    if (c == '\n') {
      a->in_tag = false;
      tagged(a);
    } else if (a->tag_len + 1 < sizeof a->tag) {
      a->tag[a->tag_len++] = (char)c;
    }
    return;
  }
  if (c == 0x1e) {
    a->in_tag = true;
    a->tag_len = 0;
    return;
  }
  if (a->serving) {
    fputc(c, stdout);
    return;
  }
  if (a->line_len < sizeof a->line)
    a->line[a->line_len++] = (char)c;
  if (c == '\n' || a->line_len == sizeof a->line) {
    if (a->line_len >= strlen(READY) &&
        memcmp(a->line, READY, strlen(READY)) == 0) {
      a->serving = true;
      start_session(a);
    } else {
      fwrite(a->line, 1, a->line_len, stdout);
    }
    a->line_len = 0;
  }
}

/* A run between flags that is no frame: text after all. */
static void run_is_text(agent *a) {
  text(a, GCMON_FRAME_FLAG);
  for (size_t i = 0; i < a->run_len && !a->stopping; i++)
    text(a, a->run[i]);
  a->run_len = 0;
}

static bool run_is_frame(agent *a) {
  gcmon_frame_decoder d;
  gcmon_frame_status st;
  gcmon_frame_decoder_init(&d, a->dec_buf, sizeof a->dec_buf);
  (void)gcmon_frame_decoder_push(&d, GCMON_FRAME_FLAG);
  for (size_t i = 0; i < a->run_len; i++)
    (void)gcmon_frame_decoder_push(&d, a->run[i]);
  st = gcmon_frame_decoder_push(&d, GCMON_FRAME_FLAG);
  return st == GCMON_FRAME_READY;
}

static void on_quiet(uv_timer_t *t) {
  agent *a = t->data;
  if (a->in_frame) {
    a->in_frame = false;
    run_is_text(a);
    fflush(stdout);
  }
}

static void board_byte(agent *a, uint8_t c) {
  if (!a->in_frame) {
    if (c == GCMON_FRAME_FLAG && a->stage == 1) {
      a->in_frame = true;
      a->run_len = 0;
    } else {
      text(a, c);
    }
    return;
  }
  if (c != GCMON_FRAME_FLAG) {
    if (a->run_len < sizeof a->run) {
      a->run[a->run_len++] = c;
    } else {
      a->in_frame = false;
      run_is_text(a);
      text(a, c);
    }
    return;
  }
  if (a->run_len == 0)
    return; /* a shared or doubled flag */
  if (run_is_frame(a)) {
    if (a->c)
      to_session(a);
    a->run_len = 0;
    a->in_frame = false;
  } else {
    run_is_text(a); /* and this flag may open a frame */
  }
}

static void on_console(uv_poll_t *h, int status, int events) {
  agent *a = h->data;
  uint8_t buf[4096];
  ssize_t n;
  (void)events;

  if (status < 0 || (n = read(a->con->fd, buf, sizeof buf)) <= 0) {
    snprintf(a->con->why, sizeof a->con->why, "the console closed");
    finish(a);
    return;
  }
  for (ssize_t i = 0; i < n && !a->stopping; i++)
    board_byte(a, buf[i]);
  fflush(stdout);
  if (a->in_frame && !a->stopping)
    uv_timer_start(&a->quiet, on_quiet, QUIET_MS, 0);
}

/* The user's Ctrl-C: the close byte ends the pump and interrupts the
 * script; a third gives up waiting for the board. */
static void on_sigint(uv_poll_t *h, int status, int events) {
  agent *a = h->data;
  char b[16];
  (void)status;
  (void)events;
  (void)!read(a->sigfd, b, sizeof b);
  if (++a->interrupts >= 3) {
    snprintf(a->con->why, sizeof a->con->why,
             "the board did not end the script after Ctrl-C");
    finish(a);
  } else if (a->serving) {
    send_close(a);
  } else {
    (void)console_write(a->con, "\x03", 1);
  }
}

/* ---- set-up and end ---------------------------------------------------- */

static void finish(agent *a) {
  if (a->stopping)
    return;
  a->stopping = true;
  a->res->ended = a->stage == 4;
  a->res->err[a->err_len] = '\0';
  if (a->c)
    gcmon_client_close(a->c); /* finishes on the loop */
  a->c = NULL;
  uv_close((uv_handle_t *)&a->console_poll, NULL);
  uv_close((uv_handle_t *)&a->sig_poll, NULL);
  uv_close((uv_handle_t *)&a->pty, NULL);
  uv_close((uv_handle_t *)&a->quiet, NULL);
}

/* The pty pair: master for us, the slave's name for libgcmon. */
static int open_pty(agent *a) {
  struct termios tio;
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  const char *name;

  if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || !(name = ptsname(m))) {
    if (m >= 0)
      close(m);
    return -1;
  }
  snprintf(a->target, sizeof a->target, "serial://%s", name);
  /* open and raw at once: no echo of what we write before libgcmon has it */
  a->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (a->slave < 0 || tcgetattr(a->slave, &tio) != 0) {
    close(m);
    return -1;
  }
  cfmakeraw(&tio);
  tcsetattr(a->slave, TCSANOW, &tio);
  if (uv_pipe_init(&a->loop, &a->pty, 0) != 0 ||
      uv_pipe_open(&a->pty, m) != 0) {
    close(m);
    return -1;
  }
  return 0;
}

/* The script as a Python string literal the raw REPL takes: no control
 * bytes (0x04 would end the code), UTF-8 passed as it is. */
static size_t literal(char *dst, const char *src, size_t n) {
  size_t j = 0;
  dst[j++] = '\'';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == '\\' || c == '\'') {
      dst[j++] = '\\';
      dst[j++] = (char)c;
    } else if (c == '\n') {
      dst[j++] = '\\';
      dst[j++] = 'n';
    } else if (c < 0x20 || c == 0x7f) {
      j += (size_t)sprintf(dst + j, "\\x%02x", c);
    } else {
      dst[j++] = (char)c;
    }
  }
  dst[j++] = '\'';
  return j;
}

static char *wrap(const cli_ctx *x, const run_console *con,
                  const char *script, size_t len, size_t *out_len) {
  unsigned ms = x->interval_ms ? x->interval_ms : 1000u;
  unsigned idle = 3u * ms + 5000u, baud = con->line_baud;
  char *code = malloc(sizeof WRAPPER + 64 + 4 * len + 2 + sizeof WRAPPER_END);
  char extra[48];
  size_t n;
  if (!code)
    return NULL;
  if (idle < 10000u)
    idle = 10000u;
  if (ms < 10u)
    ms = 10u;
  if (idle > 600000u)
    idle = 600000u;
  snprintf(extra, sizeof extra, ",interval_ms=%u", ms);
  if (baud)
    snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ",baud=%u",
             baud);
  n = (size_t)sprintf(code, WRAPPER, idle, extra);
  n += literal(code + n, script, len);
  memcpy(code + n, WRAPPER_END, sizeof WRAPPER_END);
  *out_len = n + sizeof WRAPPER_END - 1;
  return code;
}

int run_agent(cli_ctx *x, run_console *con, const char *script, size_t len,
              writer *w, int sigfd, run_agent_result *out) {
  agent *a = calloc(1, sizeof *a);
  size_t n;
  char *code = wrap(x, con, script, len, &n);
  int rc = -1;

  memset(out, 0, sizeof *out);
  if (!a || !code) {
    snprintf(con->why, sizeof con->why, "out of memory");
    goto done;
  }
  a->x = x;
  a->con = con;
  a->w = w;
  a->res = out;
  a->sigfd = sigfd;
  a->slave = -1;
  a->stage = 1;
  uv_loop_init(&a->loop);
  if (open_pty(a) != 0) {
    snprintf(con->why, sizeof con->why, "no pty for the session: %s",
             strerror(errno));
    uv_loop_close(&a->loop);
    goto done;
  }
  if (console_upload(con, code, n) != 0) {
    uv_close((uv_handle_t *)&a->pty, NULL);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    uv_loop_close(&a->loop);
    goto done;
  }
  uv_poll_init(&a->loop, &a->console_poll, con->fd);
  uv_poll_init(&a->loop, &a->sig_poll, sigfd);
  uv_timer_init(&a->loop, &a->quiet);
  a->console_poll.data = a->sig_poll.data = a->pty.data = a->quiet.data = a;
  uv_read_start((uv_stream_t *)&a->pty, on_pty_alloc, on_pty_read);
  uv_poll_start(&a->sig_poll, UV_READABLE, on_sigint);
  for (size_t i = 0; i < con->len && !a->stopping; i++)
    board_byte(a, (uint8_t)con->buf[i]); /* what came with the upload */
  con->len = 0;
  fflush(stdout);
  if (!a->stopping)
    uv_poll_start(&a->console_poll, UV_READABLE, on_console);
  uv_run(&a->loop, UV_RUN_DEFAULT);
  uv_loop_close(&a->loop);
  rc = out->ended ? 0 : -1;
done:
  if (a && a->slave >= 0)
    close(a->slave);
  free(a);
  free(code);
  return rc;
}

static void status_pool(char *line, size_t cap, const char *name,
                        const gcmon_mem_info *m) {
  char used[32], total[32];
  size_t n = strlen(line);
  units_format_bytes(m->used, used, sizeof used);
  units_format_bytes(m->total, total, sizeof total);
  snprintf(line + n, cap - n, "  %s %s of %s", name, used, total);
}

void run_status_line(const cli_ctx *x, const gcmon_sample *s) {
  char line[256], used[32], free_b[32];
  if (!x->status)
    return;
  units_format_bytes((uint64_t)s->gc.mem_alloc, used, sizeof used);
  if (s->gc.mem_free >= 0)
    units_format_bytes((uint64_t)s->gc.mem_free, free_b, sizeof free_b);
  else
    snprintf(free_b, sizeof free_b, "?");
  snprintf(line, sizeof line, "gcmon: #%llu  gc %s used, %s free",
           (unsigned long long)s->seq, used, free_b);
  if (s->has_sys_heap)
    status_pool(line, sizeof line, "heap", &s->sys_heap);
  if (s->has_sys_page)
    status_pool(line, sizeof line, "page", &s->sys_page);
  if (s->has_sys_mmz)
    status_pool(line, sizeof line, "mmz", &s->sys_mmz);
  fprintf(stderr, "%s\n", line);
}
