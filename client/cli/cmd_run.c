/* gcmon run -t repl://DEV SCRIPT.py: run a script on a stock board through
 * the raw REPL (as mpremote run does) with memory telemetry on the same
 * cable. A small sampler goes up with the script: a _thread where the port
 * has one, else a machine.Timer, else a hook on time.sleep*() (so a script
 * that sleeps gets readings between its steps). Its readings are lines
 * tagged with 0x1E that the host takes out of the script's output: the
 * rest goes to the terminal as it comes, the readings to --csv FILE. The
 * terminal's input is passed to the script; Ctrl-C interrupts the script,
 * the sampler is stopped and the REPL left at its friendly prompt.
 *
 * With the agent on the board (gcmon.serve_console_stop exists) no sampler
 * goes up: the agent serves the framed protocol beside the script's
 * output (run_agent.h), and the samples are the agent's. */
#define _DEFAULT_SOURCE
#include "cli.h"
#include "run_agent.h"
#include "run_console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SAMPLER                                                              \
  "def _gcmon_mk():\n"                                                       \
  " import gc\n"                                                             \
  " try:\n"                                                                  \
  "  import time\n"                                                          \
  "  tk=time.ticks_ms\n"                                                     \
  " except Exception:\n"                                                     \
  "  tk=lambda:0\n"                                                          \
  " fs=[(k,getattr(gc,n)) for k,n in (('a','mem_alloc'),('f','mem_free'),"   \
  "('t','threshold'),('e','isenabled'),('T','sys_total'),('h','sys_heap'),"  \
  "('p','sys_page'),('m','sys_mmz')) if hasattr(gc,n)]\n"                    \
  " def rd(*_):\n"                                                           \
  "  v=[]\n"                                                                 \
  "  for k,f in fs:\n"                                                       \
  "   x=f()\n"                                                               \
  "   if isinstance(x,tuple):x=','.join(str(i) for i in x)\n"                \
  "   v.append(k+'='+str(x))\n"                                              \
  "  print('\\x1eGCM '+str(tk())+' '+';'.join(v))\n"                         \
  " return rd\n"                                                             \
  "_gcmon_rd=_gcmon_mk()\n"                                                  \
  "del _gcmon_mk\n"                                                          \
  "_gcmon_on=[1]\n"                                                          \
  "try:\n"                                                                   \
  " import _thread,time\n"                                                   \
  " def _gcmon_loop():\n"                                                    \
  "  while _gcmon_on[0]:\n"                                                  \
  "   _gcmon_rd();time.sleep_ms(%u)\n"                                       \
  " _gcmon_how='thread'\n"                                                   \
  "except ImportError:\n"                                                    \
  " try:\n"                                                                  \
  "  from machine import Timer\n"                                            \
  "  _gcmon_t=Timer(-1)\n"                                                   \
  "  _gcmon_how='timer'\n"                                                   \
  " except Exception:\n"                                                     \
  "  import time\n"                                                          \
  "  _gcmon_last=[time.ticks_ms()]\n"                                        \
  "  _gcmon_orig={n:getattr(time,n) for n in ('sleep','sleep_ms','sleep_us')" \
  " if hasattr(time,n)}\n"                                                   \
  "  def _gcmon_wrap(f):\n"                                                  \
  "   def w(*a):\n"                                                          \
  "    if time.ticks_diff(time.ticks_ms(),_gcmon_last[0])>=%u:\n"            \
  "     _gcmon_last[0]=time.ticks_ms();_gcmon_rd()\n"                        \
  "    return f(*a)\n"                                                       \
  "   return w\n"                                                            \
  "  for n,f in _gcmon_orig.items():setattr(time,n,_gcmon_wrap(f))\n"        \
  "  _gcmon_how='sleep'\n"                                                   \
  "import gc\n"                                                              \
  "_gcmon_a=gc.mem_alloc();_gcmon_rd()\n"                                    \
  "print('\\x1eGCC '+str(gc.mem_alloc()-_gcmon_a)+' '+_gcmon_how)\n"        \
  "del _gcmon_a\n"                                                           \
  "if _gcmon_how=='thread':_thread.start_new_thread(_gcmon_loop,())\n"      \
  "if _gcmon_how=='timer':_gcmon_t.init(period=%u,mode=Timer.PERIODIC,"      \
  "callback=_gcmon_rd)\n"

#define CLEANUP                                                              \
  "def _gcmon_end():\n"                                                     \
  " g=globals()\n"                                                          \
  " try:\n"                                                                 \
  "  _gcmon_on[0]=0\n"                                                      \
  "  if _gcmon_how=='timer':_gcmon_t.deinit()\n"                            \
  "  if _gcmon_how=='sleep':\n"                                             \
  "   import time\n"                                                        \
  "   for n,f in _gcmon_orig.items():setattr(time,n,f)\n"                   \
  "  _gcmon_rd()\n"                                                         \
  " except Exception:\n"                                                    \
  "  pass\n"                                                                \
  " for n in [n for n in g if n.startswith('_gcmon_')]:\n"                 \
  "  del g[n]\n"                                                            \
  "_gcmon_end()\n"

typedef struct {
  cli_ctx *x;
  run_console con;
  writer *w;
  FILE *f;
  uint64_t run_id, seq;
  int64_t cost;
  char how[16];
  char tag[512];
  size_t tag_len;
  bool in_tag;
  int stage; /* 1 output, 2 error text, 3 prompt, 4 done */
  char err[2048];
  size_t err_len;
} runner;

static int sigpipe_fds[2] = {-1, -1};

static void on_sigint(int sig) {
  char c = (char)sig;
  (void)!write(sigpipe_fds[1], &c, 1);
}

static void parse_mem(const char *v, gcmon_mem_info *m) {
  unsigned long long t = 0, fr = 0, u = 0;
  sscanf(v, "%llu,%llu,%llu", &t, &fr, &u);
  m->total = t;
  m->free = fr;
  m->used = u;
}

static void tagged(runner *r) {
  gcmon_sample s;
  char *save = NULL, *kv;
  unsigned long long ticks;
  int used = 0;

  r->tag[r->tag_len] = '\0';
  if (sscanf(r->tag, "GCC %lld %15s", (long long *)&r->cost, r->how) == 2)
    return;
  if (sscanf(r->tag, "GCM %llu %n", &ticks, &used) != 1 || used == 0)
    return;
  memset(&s, 0, sizeof s);
  s.seq = ++r->seq;
  s.uptime_us = (uint64_t)ticks * 1000u;
  s.gc.mem_free = s.gc.threshold = s.gc.largest_free = -1;
  for (kv = strtok_r(r->tag + used, ";\r\n", &save); kv;
       kv = strtok_r(NULL, ";\r\n", &save)) {
    const char *v = kv + 2;
    if (kv[0] == '\0' || kv[1] != '=')
      continue;
    switch (kv[0]) {
    case 'a':
      s.has_gc = true;
      s.gc.mem_alloc = strtoll(v, NULL, 10);
      break;
    case 'f':
      s.gc.mem_free = strtoll(v, NULL, 10);
      break;
    case 't':
      s.gc.threshold = strtoll(v, NULL, 10);
      break;
    case 'e':
      s.gc.enabled = strcmp(v, "True") == 0;
      break;
    case 'T':
      s.sys_total = strtoull(v, NULL, 10);
      break;
    case 'h':
      s.has_sys_heap = true;
      parse_mem(v, &s.sys_heap);
      break;
    case 'p':
      s.has_sys_page = true;
      parse_mem(v, &s.sys_page);
      break;
    case 'm':
      s.has_sys_mmz = true;
      parse_mem(v, &s.sys_mmz);
      break;
    default:
      break;
    }
  }
  if (r->w)
    emit_series_sample(r->w, r->run_id, &s, NULL, cli_wall_now_us());
  run_status_line(r->x, &s);
}

/* Console bytes while the script runs. */
static void take(runner *r, const char *p, size_t n) {
  for (size_t i = 0; i < n && r->stage < 4; i++) {
    char c = p[i];
    if (r->stage == 3) {
      if (c == '>')
        r->stage = 4;
    } else if (c == 0x04) {
      r->stage++;
    } else if (r->stage == 2) {
      if (r->err_len + 1 < sizeof r->err)
        r->err[r->err_len++] = c;
    } else if (r->in_tag) {
      if (c == '\n') {
        r->in_tag = false;
        tagged(r);
      } else if (r->tag_len + 1 < sizeof r->tag) {
        r->tag[r->tag_len++] = c;
      }
    } else if (c == 0x1e) {
      r->in_tag = true;
      r->tag_len = 0;
    } else {
      fputc(c, stdout);
    }
  }
  fflush(stdout);
}

static char *read_script(cli_ctx *x, const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;
  if (!f) {
    cli_error(x, "%s: %s", path, strerror(errno));
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (!buf) {
    cli_error(x, "%s: cannot read it", path);
    return NULL;
  }
  buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

/* Until the script's end: console to terminal, terminal to console,
 * Ctrl-C to the board. */
static void follow(runner *r) {
  bool stdin_open = true;
  char buf[4096];

  take(r, r->con.buf, r->con.len);
  r->con.len = 0;
  while (r->stage < 4) {
    struct pollfd p[3] = {{.fd = r->con.fd, .events = POLLIN},
                          {.fd = sigpipe_fds[0], .events = POLLIN},
                          {.fd = stdin_open ? 0 : -1, .events = POLLIN}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (p[1].revents & POLLIN) {
      (void)!read(sigpipe_fds[0], buf, sizeof buf);
      console_write(&r->con, "\x03", 1);
    }
    if (p[2].revents & (POLLIN | POLLHUP)) {
      ssize_t k = read(0, buf, sizeof buf);
      if (k <= 0)
        stdin_open = false;
      else
        console_write(&r->con, buf, (size_t)k);
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t k = read(r->con.fd, buf, sizeof buf);
      if (k <= 0)
        return;
      take(r, buf, (size_t)k);
    }
  }
}

static bool target_path(cli_ctx *x, char *path, size_t cap, uint32_t *baud,
                        bool *baud_given) {
  const char *p = x->target, *q;
  if (strncmp(p, "repl://", 7) != 0)
    return false;
  p += 7;
  q = strchr(p, '?');
  snprintf(path, cap, "%.*s", (int)(q ? (size_t)(q - p) : strlen(p)), p);
  *baud = GCMON_DEFAULT_BAUD;
  *baud_given = q && (q = strstr(q, "baud=")) != NULL;
  if (*baud_given)
    *baud = (uint32_t)strtoul(q + 5, NULL, 10);
  return true;
}

/* Whether the board has the agent that serves beside a script. */
static bool has_agent(run_console *con) {
  char out[64];
  return console_exec(con,
                      "try:\n import gcmon\n"
                      " print(hasattr(gcmon,'serve_console_stop'))\n"
                      "except ImportError:\n print(False)\n",
                      out, sizeof out) == 0 &&
         strncmp(out, "True", 4) == 0;
}

/* With the agent: its samples, no sampler. */
static int run_beside_agent(runner *r, const char *script, size_t len) {
  cli_ctx *x = r->x;
  run_agent_result res;
  int rc = CLI_EXIT_OK;

  if (run_agent(x, &r->con, script, len, r->w, sigpipe_fds[0], &res) != 0) {
    cli_error(x, "%s: %s", x->target, r->con.why);
    rc = CLI_EXIT_FAILURE;
  }
  if (res.err[0] && !strstr(res.err, "KeyboardInterrupt")) {
    fputs(res.err, stderr);
    rc = CLI_EXIT_FAILURE;
  }
  fprintf(stderr,
          "%s: run: %llu samples (agent over the console, seq %llu..%llu, "
          "%llu missing)\n",
          x->prog, (unsigned long long)res.samples,
          (unsigned long long)res.first_seq, (unsigned long long)res.last_seq,
          (unsigned long long)res.gaps);
  if (!res.served)
    cli_error(x, "the agent's session did not come up: no samples");
  return rc;
}

/* Stock firmware: the sampler goes up with the script. */
static int run_with_sampler(runner *r, const char *script, size_t len) {
  cli_ctx *x = r->x;
  unsigned ms = x->interval_ms ? x->interval_ms : 1000;
  char *code = malloc(len + sizeof SAMPLER + 64), out[256];
  size_t n;
  int rc = CLI_EXIT_OK;

  if (!code) {
    cli_error(x, "out of memory");
    return CLI_EXIT_FAILURE;
  }
  n = (size_t)sprintf(code, SAMPLER, ms, ms, ms);
  memcpy(code + n, script, len + 1);
  if (console_upload_plain(&r->con, code, n + len) != 0) {
    cli_error(x, "%s: upload: %s", x->target, r->con.why);
    rc = CLI_EXIT_FAILURE;
  } else {
    follow(r);
  }
  free(code);
  if (r->stage == 4 && console_exec(&r->con, CLEANUP, out, sizeof out) == 0)
    take(r, out, strlen(out)); /* the last reading */
  r->err[r->err_len] = '\0';
  if (r->err_len && !strstr(r->err, "KeyboardInterrupt")) {
    fputs(r->err, stderr);
    rc = CLI_EXIT_FAILURE;
  }
  fprintf(stderr,
          "%s: run: %llu samples (sampler: %s, %lld B of board heap per "
          "reading)\n",
          x->prog, (unsigned long long)r->seq, r->how[0] ? r->how : "none",
          (long long)r->cost);
  return rc;
}

int cmd_run(cli_ctx *x) {
  runner r;
  char path[256], *script;
  size_t len;
  uint32_t baud;
  bool baud_given;
  struct sigaction sa, old;
  int rc = CLI_EXIT_OK;

  if (!target_path(x, path, sizeof path, &baud, &baud_given)) {
    cli_error(x, "run: needs a repl:// target (a board's console), not %s",
              x->target);
    return CLI_EXIT_USAGE;
  }
  memset(&r, 0, sizeof r);
  r.x = x;
  r.stage = 1;
  r.run_id = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
  if (!(script = read_script(x, x->argv[0], &len)))
    return CLI_EXIT_FAILURE;
  if (x->out_path) {
    r.f = strcmp(x->out_path, "-") == 0 ? stdout : fopen(x->out_path, "w");
    if (!r.f) {
      cli_error(x, "%s: %s", x->out_path, strerror(errno));
      free(script);
      return CLI_EXIT_FAILURE;
    }
    r.w = cli_writer(x, r.f, true);
  }
  if (console_open(&r.con, path, baud) != 0) {
    cli_error(x, "%s", r.con.why); /* names the device */
    rc = CLI_EXIT_FAILURE;
    goto done;
  }
  /* as repl:// tells the agent: the line's baud, except on USB CDC */
  r.con.line_baud =
      baud_given || !gcmon_serial_is_usb_cdc(path) ? baud : 0u;
  if (console_enter_raw(&r.con) != 0) {
    cli_error(x, "%s: %s", x->target, r.con.why);
    rc = CLI_EXIT_FAILURE;
    goto done;
  }
  if (pipe(sigpipe_fds) != 0) {
    rc = CLI_EXIT_FAILURE;
    goto done;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigaction(SIGINT, &sa, &old);
  if (has_agent(&r.con))
    rc = run_beside_agent(&r, script, len);
  else
    rc = run_with_sampler(&r, script, len);
  sigaction(SIGINT, &old, NULL);
  (void)console_write(&r.con, "\x02", 1); /* the friendly prompt back */
  close(sigpipe_fds[0]);
  close(sigpipe_fds[1]);
done:
  console_close(&r.con);
  if (r.w)
    writer_free(r.w);
  if (r.f && r.f != stdout)
    fclose(r.f);
  free(script);
  return rc;
}
