/* The module's server with a pretend VM, as a process a Python test can
 * drive over loopback TCP: the loop thread (runner.h) and a plain T2
 * serving the mailbox on a fake_vm. It prints "port N", then obeys one
 * command per stdin line, the part a MicroPython script plays in the real
 * end-to-end test:
 *
 *   alloc N    N bytes the program keeps        -> "ok"
 *   garbage N  N bytes the program drops        -> "ok"
 *   collect    the program calls gc.collect()   -> "ok"
 *   state      -> "mem_alloc A mem_free F threshold T enabled E"
 *   status     -> "samples S read_errors R sessions_opened O"
 *   console FD [BAUD]
 *              serve_console(baud=BAUD) on FD (inherited: a pty's board
 *              end; no BAUD: serve_console()), a line of program output
 *              between frames after the 3rd write; when
 *              it returns -> "console END frames_in I frames_out O
 *              writes W bytes_out B" (W: the pump's writes to the console)
 *   beside FD  serve_console(beside=True) on its own thread, as `gcmon run`'s
 *              wrapper starts it -> "ok" once it serves
 *   interrupted -> "interrupted N": the host's Ctrl-Cs the pump passed on
 *   stop       serve_console_stop() (with its end line), then the thread
 *              joined
 *              -> "stopped SERVED END" (SERVED 1: a pump was serving)
 *   hold       the program keeps the GIL (time.sleep_ms) -> "ok"
 *   release    and lets it go                            -> "ok"
 *   quit (or end of input): stop everything, exit 0
 *
 * Options (bench/bench_console.py): --interval MS the sampler period
 * (default 100), --uart PATH [--baud N] serve on a serial line as well, as
 * gcmon.start(uart=...) does. */
#define _POSIX_C_SOURCE 200809L
#include "console.h"
#include "gcmon/error.h"
#include "fake_vm.h"
#include "runner.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAP_BYTES (2u << 20)

static void state(fake_vm *f) {
  fake_vm s = fake_vm_snapshot(f);
  uint64_t used = s.live + s.garbage;
  long long thr = s.threshold_blocks == UINT64_MAX
                      ? -1
                      : (long long)(s.threshold_blocks * FAKE_VM_BLOCK);

  printf("mem_alloc %" PRIu64 " mem_free %" PRIu64 " threshold %lld "
         "enabled %d\n",
         used, s.total - used, thr, s.enabled ? 1 : 0);
}

/* The console seam on a pty: what modgcmon.c does with MicroPython's
 * stdin/stdout, on a file descriptor. */
typedef struct pty_console {
  int fd;
  unsigned writes;
} pty_console;

#define PRINTED "board: a line the program printed\r\n"

static int pty_read(void *ctx, uint8_t *buf, size_t cap, unsigned timeout_ms,
                    int wake_fd) {
  pty_console *c = ctx;
  struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
                        {.fd = wake_fd, .events = POLLIN}};
  ssize_t n;

  if (poll(p, 2, (int)timeout_ms) <= 0 || !(p[0].revents & POLLIN))
    return 0;
  n = read(c->fd, buf, cap);
  return n > 0 ? (int)n : GCMON_EIO;
}

static int write_all(int fd, const uint8_t *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return GCMON_EIO;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

static int pty_write(void *ctx, const uint8_t *buf, size_t n) {
  pty_console *c = ctx;
  if (write_all(c->fd, buf, n) != 0)
    return GCMON_EIO;
  if (++c->writes == 3) /* the program prints, between two frames */
    return write_all(c->fd, (const uint8_t *)PRINTED, sizeof PRINTED - 1);
  return 0;
}

static uint64_t mono_ms(void *ctx) {
  struct timespec ts;
  (void)ctx;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static const char *const ends[] = {"closed", "idle", "failed", "stopped"};

static void serve_console(gcmon_mp_runner *r, int fd, unsigned long baud) {
  pty_console c = {.fd = fd};
  gcmon_mp_console_io io = {.ctx = &c, .read = pty_read, .write = pty_write,
                            .now_ms = mono_ms,
                            .link_bytes_per_s = (uint32_t)(baud / 10u)};
  gcmon_mp_console_result res;
  int rc = gcmon_mp_console_serve(r, &io, 3000, &res);

  if (rc != 0)
    printf("console error %d\n", rc);
  else
    printf("console %s frames_in %" PRIu64 " frames_out %" PRIu64
           " writes %u bytes_out %" PRIu64 "\n",
           ends[res.end], res.frames_in, res.frames_out, c.writes,
           res.bytes_out);
}

/* serve_console(beside=True): the pump on a thread of its own, the program
 * (this process's command loop) beside it. */
typedef struct beside {
  gcmon_mp_runner *r;
  pty_console c;
  gcmon_mp_console_beside b;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool up, done;
  unsigned interrupts;
  gcmon_mp_console_result res;
  int rc;
} beside;

static void beside_ready(void *ctx) {
  beside *s = ctx;
  pthread_mutex_lock(&s->mu);
  s->up = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

static void beside_interrupt(void *ctx) {
  beside *s = ctx;
  pthread_mutex_lock(&s->mu);
  s->interrupts++;
  pthread_mutex_unlock(&s->mu);
}

/* One ctx for all the seam's calls: the beside (ready and interrupt need
 * it), whose pty the reads and writes unwrap. */
static int beside_read(void *ctx, uint8_t *buf, size_t cap,
                       unsigned timeout_ms, int wake_fd) {
  return pty_read(&((beside *)ctx)->c, buf, cap, timeout_ms, wake_fd);
}

static int beside_write(void *ctx, const uint8_t *buf, size_t n) {
  return pty_write(&((beside *)ctx)->c, buf, n);
}

static void *beside_main(void *arg) {
  beside *s = arg;
  gcmon_mp_console_io io = {.ctx = s, .read = beside_read,
                            .write = beside_write, .now_ms = mono_ms,
                            .ready = beside_ready,
                            .interrupt = beside_interrupt, .beside = &s->b};
  int rc = gcmon_mp_console_serve(s->r, &io, 10000, &s->res);
  pthread_mutex_lock(&s->mu);
  s->rc = rc;
  s->done = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

static void beside_start(beside *s, gcmon_mp_runner *r, int fd) {
  s->r = r;
  s->c.fd = fd;
  s->c.writes = 0;
  s->up = s->done = false;
  s->interrupts = 0;
  if (pthread_create(&s->thread, NULL, beside_main, s) != 0) {
    puts("beside error");
    return;
  }
  pthread_mutex_lock(&s->mu);
  while (!s->up && !s->done)
    pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  if (s->up)
    puts("ok");
  else
    printf("beside error %d\n", s->rc);
}

static void beside_stop(beside *s) {
  bool served = gcmon_mp_console_stop_ask(&s->b);
  if (served) { /* the end line, as serve_console_stop() prints it */
    (void)write_all(s->c.fd, (const uint8_t *)GCMON_MP_CONSOLE_END,
                    sizeof GCMON_MP_CONSOLE_END - 1);
    gcmon_mp_console_stop_wait(&s->b, GCMON_MP_CONSOLE_STOP_ACK_MS);
  }
  pthread_join(s->thread, NULL);
  printf("stopped %d %s\n", served ? 1 : 0,
         s->rc == 0 ? ends[s->res.end] : "error");
}

typedef struct agent_options {
  unsigned long interval_ms;
  const char *uart;
  unsigned long baud;
} agent_options;

/* 0, or 2 after a one-line usage message. */
static int parse_options(int argc, char **argv, agent_options *o) {
  int i;

  o->interval_ms = 100;
  o->uart = NULL;
  o->baud = 115200;
  for (i = 1; i < argc; i++) {
    char *end = NULL;
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned long *num = strcmp(arg, "--interval") == 0 ? &o->interval_ms
                         : strcmp(arg, "--baud") == 0   ? &o->baud
                                                        : NULL;
    if (val != NULL && strcmp(arg, "--uart") == 0) {
      o->uart = val;
    } else if (val != NULL && num != NULL) {
      *num = strtoul(val, &end, 10);
      if (*end != '\0' || *num == 0 || *num > 86400000ul)
        val = NULL;
    } else {
      val = NULL;
    }
    if (val == NULL) {
      fprintf(stderr, "usage: mp_fake_agent [--interval MS] "
                      "[--uart PATH [--baud N]]\n");
      return 2;
    }
    i++;
  }
  return 0;
}

int main(int argc, char **argv) {
  agent_options opt;
  fake_vm f;
  gcmon_mp_mailbox mb;
  fake_worker w;
  gcmon_mp_runner *r;
  gcmon_mp_runner_config cfg = {0};
  gcmon_mp_status st;
  char err[160], line[128];
  unsigned long long n, baud;
  beside bs = {.mu = PTHREAD_MUTEX_INITIALIZER,
               .cv = PTHREAD_COND_INITIALIZER};

  if (parse_options(argc, argv, &opt) != 0)
    return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  fake_vm_init(&f, HEAP_BYTES);
  if (gcmon_mp_mailbox_init(&mb) != 0)
    return 1;
  fake_worker_start(&w, &mb, &f);
  cfg.mailbox = &mb;
  cfg.listen = "127.0.0.1:0";
  cfg.uart = opt.uart;
  cfg.baud = (unsigned)opt.baud;
  cfg.interval_ms = (uint32_t)opt.interval_ms;
  cfg.scan_ms = 1000;
  cfg.device_id = "micropython/fake";
  cfg.call_timeout_ms = 500;
  if (gcmon_mp_runner_start(&r, &cfg, err, sizeof err) != 0) {
    fprintf(stderr, "mp_fake_agent: %s\n", err);
    return 1;
  }
  gcmon_mp_runner_status(r, &st);
  printf("port %d\n", st.tcp_port);

  while (fgets(line, sizeof line, stdin) != NULL) {
    if (sscanf(line, "alloc %llu", &n) == 1) {
      fake_vm_alloc(&f, n, false);
      puts("ok");
    } else if (sscanf(line, "garbage %llu", &n) == 1) {
      fake_vm_alloc(&f, n, true);
      puts("ok");
    } else if (strncmp(line, "collect", 7) == 0) {
      fake_vm_collect_by_program(&f);
      puts("ok");
    } else if (strncmp(line, "state", 5) == 0) {
      state(&f);
    } else if (strncmp(line, "status", 6) == 0) {
      gcmon_mp_runner_status(r, &st);
      printf("samples %" PRIu64 " read_errors %" PRIu64
             " sessions_opened %" PRIu64 "\n",
             st.samples, st.read_errors, st.sessions_opened);
    } else if (sscanf(line, "console %llu", &n) == 1) {
      baud = 0;
      (void)sscanf(line, "console %*u %llu", &baud);
      serve_console(r, (int)n, (unsigned long)baud);
    } else if (sscanf(line, "beside %llu", &n) == 1) {
      beside_start(&bs, r, (int)n);
    } else if (strncmp(line, "interrupted", 11) == 0) {
      pthread_mutex_lock(&bs.mu);
      printf("interrupted %u\n", bs.interrupts);
      pthread_mutex_unlock(&bs.mu);
    } else if (strncmp(line, "stop", 4) == 0) {
      beside_stop(&bs);
    } else if (strncmp(line, "hold", 4) == 0) {
      pthread_mutex_lock(&f.gil);
      puts("ok");
    } else if (strncmp(line, "release", 7) == 0) {
      pthread_mutex_unlock(&f.gil);
      puts("ok");
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    } else {
      puts("?");
    }
  }
  /* The module's stop order: close the mailbox, stop T1, then T2 ends. */
  gcmon_mp_mailbox_close(&mb);
  gcmon_mp_runner_stop(r);
  fake_worker_join(&w);
  gcmon_mp_mailbox_destroy(&mb);
  fake_vm_destroy(&f);
  return 0;
}
