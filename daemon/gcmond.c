/* gcmond: the gcmon daemon. Parses the command line, opens the memory
 * source, starts the server (agent + sampler + TCP + UART) on a libuv loop,
 * and shuts everything down cleanly (exit 0) on SIGINT/SIGTERM (linux) or
 * when its run file is removed (--run-file; the only way on rtsmart, which
 * installs no signal handler). */
#define _POSIX_C_SOURCE 200809L
#include "options.h"
#include "runfile.h"
#include "server.h"
#include "source.h"
#include "token.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef GCMON_VERSION
#define GCMON_VERSION "0.0.0"
#endif

typedef struct {
  gcmon_log_level max_level;
} stderr_log;

static void log_to_stderr(void *data, gcmon_log_level level, const char *msg) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  const stderr_log *l = data;
  if (level > l->max_level)
    return;
  fprintf(stderr, "gcmond: %s: %s\n", names[level], msg);
}

/* Entropy for run_id: the kernel's, else a mix of time and pid. */
static uint64_t random_u64(void) {
  uint64_t v = 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, &v, sizeof v);
    close(fd);
    if (n == (ssize_t)sizeof v && v != 0)
      return v;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  v = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
      ((uint64_t)getpid() << 40);
  return v ? v : 1;
}

/* One reading before serving: a source file that is unreadable or
 * malformed is a startup error naming it, not a daemon that answers
 * UNAVAILABLE to every request while it logs the same warning forever. */
static int probe_source(gcmon_source *src, const char *file) {
  gcmon_sample s;
  struct timespec ts;
  int rc;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  src->error[0] = '\0';
  rc = src->ops->read(
      src, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u, &s);
  if (rc != 0) /* the source's line may have cut the path: say it whole */
    fprintf(stderr, "gcmond: cannot read source %s%s%s%s: %s\n", src->ops->name,
            file ? " (" : "", file ? file : "", file ? ")" : "",
            src->error[0] ? src->error : gcmon_strerror(rc));
  return rc;
}

typedef struct {
  gcmon_server *server;
  gcmon_runfile run_file;
  bool run_file_on;
#ifndef GCMON_PLATFORM_RTSMART
  uv_signal_t sigint;
  uv_signal_t sigterm;
#endif
} daemon_state;

static void shut_down(daemon_state *d) {
  gcmon_server_stop(d->server);
  if (d->run_file_on)
    gcmon_runfile_stop(&d->run_file);
#ifndef GCMON_PLATFORM_RTSMART
  uv_close((uv_handle_t *)&d->sigint, NULL);
  uv_close((uv_handle_t *)&d->sigterm, NULL);
#endif
}

static void on_run_file_removed(gcmon_runfile *r) {
  daemon_state *d = r->data;
  gcmon_agent_log(gcmon_server_agent(d->server), GCMON_LOG_INFO,
                  "run file %s removed: shutting down", r->path);
  shut_down(d);
}

#ifndef GCMON_PLATFORM_RTSMART
static void on_signal(uv_signal_t *h, int signum) {
  daemon_state *d = h->data;
  gcmon_agent_log(gcmon_server_agent(d->server), GCMON_LOG_INFO,
                  "signal %d: shutting down", signum);
  shut_down(d);
}
#endif

/* Started with stdin/stdout/stderr closed, the first sockets would take fds
 * 0-2: log lines would reach a client and libuv would never close them. */
static void hold_standard_fds(void) {
  for (int fd = 0; fd <= 2; fd++) {
    if (fcntl(fd, F_GETFL) == -1) {
      int null = open("/dev/null", O_RDWR);
      if (null > 2)
        close(null); /* fd was open after all (a race); nothing to hold */
    }
  }
}

int main(int argc, char **argv) {
  gcmond_options opt;
  gcmon_source_config scfg = {0};
  gcmon_server_config cfg = {0};
  stderr_log log = {GCMON_LOG_INFO};
  uint8_t token[GCMON_TOKEN_MAX];
  daemon_state d = {0};
  gcmon_source *src;
  uv_loop_t loop;
  char err[256];
  int rc;

  hold_standard_fds();
  switch (gcmond_options_parse(&opt, argc, argv)) {
  case GCMOND_OPTIONS_RUN:
    break;
  case GCMOND_OPTIONS_EXIT_OK:
    return 0;
  case GCMOND_OPTIONS_USAGE:
    return 2;
  }
  if (opt.stop) {
    if (gcmon_runfile_request_stop(opt.run_file, err, sizeof err) != 0) {
      fprintf(stderr, "gcmond: %s\n", err);
      return 1;
    }
    return 0;
  }
  log.max_level = opt.verbosity > 0   ? GCMON_LOG_DEBUG
                  : opt.verbosity < 0 ? GCMON_LOG_WARN
                                      : GCMON_LOG_INFO;
  /* A disposition, not a handler: writes to a peer that has gone return
   * EPIPE instead of killing gcmond. */
  signal(SIGPIPE, SIG_IGN);

  gcmon_agent_config_defaults(&cfg.agent);
  if (opt.token_file) {
    rc = gcmon_token_load(opt.token_file, token, sizeof token, err, sizeof err);
    if (rc < 0) {
      fprintf(stderr, "gcmond: %s\n", err);
      return 1;
    }
    cfg.agent.token = token;
    cfg.agent.token_len = (size_t)rc;
  }

  scfg.name = opt.source;
  scfg.seed = opt.seed_set ? opt.seed : random_u64();
  scfg.workload = opt.workload;
  scfg.scenario = opt.scenario;
  scfg.speed = opt.speed;
  scfg.meminfo_path = opt.meminfo_path;
  scfg.misc_dev_path = opt.misc_dev_path;
  scfg.media_mem_path = opt.media_mem_path;
  if (gcmon_source_open(&src, &scfg, err, sizeof err) != 0) {
    fprintf(stderr, "gcmond: %s\n", err);
    return 1;
  }
  if (probe_source(src,
                   strcmp(opt.source, "linux") == 0
                       ? (opt.meminfo_path ? opt.meminfo_path : "/proc/meminfo")
                       : NULL) != 0) {
    gcmon_source_close(src);
    return 1;
  }

  cfg.agent.source = src;
  cfg.agent.interval_ms = opt.interval_ms;
  cfg.agent.history_capacity = opt.history;
  cfg.agent.max_sessions = opt.max_sessions;
  cfg.agent.queue_events = opt.queue_events;
  cfg.agent.max_lag_ms = opt.max_lag_ms;
  cfg.agent.run_id = random_u64();
  cfg.agent.require_mac = opt.require_mac;
  cfg.agent.daemon_name = "gcmond " GCMON_VERSION;
  cfg.agent.log = log_to_stderr;
  cfg.agent.log_data = &log;
  cfg.listen = opt.listen;
  cfg.uart = opt.uart;
  cfg.baud = opt.baud;

  uv_loop_init(&loop);
  rc = gcmon_server_start(&d.server, &loop, &cfg, err, sizeof err);
  if (rc != 0) {
    fprintf(stderr, "gcmond: %s\n", err);
    uv_run(&loop, UV_RUN_DEFAULT); /* let half-opened handles close */
    uv_loop_close(&loop);
    gcmon_source_close(src);
    return 1;
  }
  if (opt.run_file) {
    if (gcmon_runfile_start(&d.run_file, &loop, opt.run_file,
                            on_run_file_removed, err, sizeof err) != 0) {
      fprintf(stderr, "gcmond: %s\n", err);
      gcmon_server_stop(d.server);
      uv_run(&loop, UV_RUN_DEFAULT);
      uv_loop_close(&loop);
      gcmon_source_close(src);
      return 1;
    }
    d.run_file.data = &d;
    d.run_file_on = true;
  }
#ifndef GCMON_PLATFORM_RTSMART
  uv_signal_init(&loop, &d.sigint);
  uv_signal_init(&loop, &d.sigterm);
  d.sigint.data = d.sigterm.data = &d;
  uv_signal_start(&d.sigint, on_signal, SIGINT);
  uv_signal_start(&d.sigterm, on_signal, SIGTERM);
#endif

  if (opt.listen)
    fprintf(stderr, "gcmond: info: listening on tcp %s (port %d)\n", opt.listen,
            gcmon_server_tcp_port(d.server));
  if (opt.uart)
    fprintf(stderr, "gcmond: info: serving uart %s at %u baud\n", opt.uart,
            opt.baud);
  fprintf(stderr,
          "gcmond: info: source %s (%s), sampling every %u ms, run %016llx\n",
          src->ops->name, src->device_id, (unsigned)opt.interval_ms,
          (unsigned long long)cfg.agent.run_id);

  uv_run(&loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(&loop);
  gcmon_source_close(src);
  if (rc != 0) {
    fprintf(stderr, "gcmond: warn: loop closed with handles open\n");
    return 1;
  }
  fprintf(stderr, "gcmond: info: stopped\n");
  return 0;
}
