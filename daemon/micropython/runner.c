/* The loop thread T1 (see runner.h): its start handshake, the loop body,
 * the stop request (a uv_async), the status snapshot taken after every loop
 * iteration, and the log sink. Nothing here knows MicroPython. */
#define _POSIX_C_SOURCE 200809L
#include "runner.h"

#include "conn.h"
#include "server.h"
#include "source_micropython.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T1_STACK_SIZE (256u * 1024u)

struct gcmon_mp_runner {
  gcmon_mp_runner_config cfg;
  char listen[64];
  char uart[128];
  char device_id[GCMON_DEVICE_ID_MAX + 1];
  uint8_t token[GCMON_TOKEN_MAX];
  pthread_t thread;

  /* Owned by T1 while it runs. */
  uv_loop_t loop;
  uv_async_t stop_async;
  uv_async_t attach_async;
  uv_check_t snapshot;
  uv_pipe_t console_pipe; /* one end of serve_console()'s socket pair */
  gcmon__conn console_conn;
  gcmon_server *server;
  gcmon_source *source;
  gcmon_source *sys;

  /* Shared with other threads, under mu. */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool ready; /* start handshake done (ok or failed) */
  int start_rc;
  char start_err[GCMON_MP_LAST_ERROR_MAX];
  gcmon_mp_status status;
  int console_fd;       /* posted by gcmon_mp_runner_attach, -1 = none */
  uint32_t console_bps; /* its line speed, 0 = unknown */
  int console_state;    /* CONSOLE_* below */
};

enum { CONSOLE_NONE, CONSOLE_POSTED, CONSOLE_SERVING, CONSOLE_FAILED };

static void log_sink(void *data, gcmon_log_level level, const char *msg) {
  gcmon_mp_runner *r = data;

  if (level > GCMON_LOG_WARN)
    return;
  pthread_mutex_lock(&r->mu);
  snprintf(r->status.last_error, sizeof r->status.last_error, "%s", msg);
  pthread_mutex_unlock(&r->mu);
}

static uint64_t random_u64(void) {
  uint64_t v = 0;
  struct timespec ts;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

  if (fd >= 0) {
    ssize_t n = read(fd, &v, sizeof v);
    close(fd);
    if (n == (ssize_t)sizeof v && v != 0)
      return v;
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  v = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
  return v ? v : 1;
}

static void on_snapshot(uv_check_t *h) {
  gcmon_mp_runner *r = h->data;
  gcmon_agent *a = gcmon_server_agent(r->server);
  const gcmon_agent_stats *st = gcmon_agent_get_stats(a);

  pthread_mutex_lock(&r->mu);
  r->status.samples = st->samples;
  r->status.read_errors = st->read_errors;
  r->status.sessions_opened = st->sessions_opened;
  r->status.requests = st->requests;
  r->status.sessions = gcmon_agent_session_count(a);
  r->status.alarm_rules = gcmon_agent_alarm_rule_count(a);
  pthread_mutex_unlock(&r->mu);
}

static void set_console_state(gcmon_mp_runner *r, int state) {
  pthread_mutex_lock(&r->mu);
  r->console_state = state;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

static void on_console_closed(uv_handle_t *h) {
  gcmon__conn *c = h->data; /* gcmon__conn_start points it at the conn */
  set_console_state(c->data, CONSOLE_NONE);
}

static void on_console_end(gcmon__conn *c, int status) {
  gcmon_mp_runner *r = c->data;
  (void)status;
  uv_close((uv_handle_t *)&r->console_pipe, on_console_closed);
}

/* T1: serve the posted socket as one more session of the agent, trusted
 * like a UART (it is the board's own console). */
static void on_attach(uv_async_t *h) {
  gcmon_mp_runner *r = h->data;
  gcmon_session_config how = {.trusted = true, .uart = true,
                              .peer = "console"};
  int fd;

  pthread_mutex_lock(&r->mu);
  fd = r->console_state == CONSOLE_POSTED ? r->console_fd : -1;
  how.link_bytes_per_s = r->console_bps;
  pthread_mutex_unlock(&r->mu);
  if (fd < 0 || r->server == NULL)
    return;
  uv_pipe_init(&r->loop, &r->console_pipe, 0);
  r->console_pipe.data = r;
  if (uv_pipe_open(&r->console_pipe, fd) != 0) {
    close(fd);
    uv_close((uv_handle_t *)&r->console_pipe, NULL);
    set_console_state(r, CONSOLE_FAILED);
    return;
  }
  memset(&r->console_conn, 0, sizeof r->console_conn);
  r->console_conn.on_end = on_console_end;
  r->console_conn.data = r;
  if (gcmon__conn_start(&r->console_conn, gcmon_server_agent(r->server),
                        (uv_stream_t *)&r->console_pipe, &how) != 0) {
    uv_close((uv_handle_t *)&r->console_pipe, NULL);
    set_console_state(r, CONSOLE_FAILED);
    return;
  }
  set_console_state(r, CONSOLE_SERVING);
}

static void on_stop(uv_async_t *h) {
  gcmon_mp_runner *r = h->data;
  int console;

  pthread_mutex_lock(&r->mu);
  console = r->console_state;
  pthread_mutex_unlock(&r->mu);
  if (console == CONSOLE_SERVING) /* before the agent and its sessions go */
    gcmon__conn_end(&r->console_conn, 0);

  gcmon_server_stop(r->server);
  r->server = NULL;
  uv_check_stop(&r->snapshot);
  uv_close((uv_handle_t *)&r->snapshot, NULL);
  uv_close((uv_handle_t *)&r->stop_async, NULL);
  uv_close((uv_handle_t *)&r->attach_async, NULL);
}

static void report_start(gcmon_mp_runner *r, int rc, const char *err) {
  pthread_mutex_lock(&r->mu);
  r->start_rc = rc;
  snprintf(r->start_err, sizeof r->start_err, "%s", err ? err : "");
  r->ready = true;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
}

/* Sources and server on r->loop; 0 or GCMON_E* with err filled. */
static int open_all(gcmon_mp_runner *r, char *err, size_t errlen) {
  gcmon_mp_source_config scfg = {0};
  gcmon_server_config cfg = {0};
  int rc;

  if (r->cfg.sys_source != NULL) {
    gcmon_source_config sys_cfg = {.name = r->cfg.sys_source};
    char why[128];
    /* No sys counters is not fatal: the gc heap is what matters here. */
    if (gcmon_source_open(&r->sys, &sys_cfg, why, sizeof why) != 0) {
      r->sys = NULL;
      log_sink(r, GCMON_LOG_WARN, why);
    }
  }
  scfg.mailbox = r->cfg.mailbox;
  scfg.call_timeout_ms = r->cfg.call_timeout_ms;
  scfg.scan_ms = r->cfg.scan_ms;
  scfg.sys = r->sys;
  scfg.device_id = r->device_id;
  rc = gcmon_mp_source_open(&r->source, &scfg, err, errlen);
  if (rc != 0)
    return rc;

  gcmon_agent_config_defaults(&cfg.agent);
  cfg.agent.source = r->source;
  cfg.agent.interval_ms = r->cfg.interval_ms;
  cfg.agent.token = r->cfg.token_len ? r->token : NULL;
  cfg.agent.token_len = r->cfg.token_len;
  cfg.agent.run_id = random_u64();
  cfg.agent.daemon_name = "gcmon micropython module";
  cfg.agent.log = log_sink;
  cfg.agent.log_data = r;
  cfg.listen = r->cfg.listen ? r->listen : NULL;
  cfg.uart = r->cfg.uart ? r->uart : NULL;
  cfg.baud = r->cfg.baud;
  return gcmon_server_start(&r->server, &r->loop, &cfg, err, errlen);
}

static void *t1_main(void *arg) {
  gcmon_mp_runner *r = arg;
  char err[GCMON_MP_LAST_ERROR_MAX] = "";
  int rc;

  if (uv_loop_init(&r->loop) != 0) {
    report_start(r, GCMON_ENOMEM, "cannot create the event loop");
    return NULL;
  }
  rc = open_all(r, err, sizeof err);
  if (rc == 0) {
    uv_async_init(&r->loop, &r->stop_async, on_stop);
    r->stop_async.data = r;
    uv_async_init(&r->loop, &r->attach_async, on_attach);
    r->attach_async.data = r;
    uv_check_init(&r->loop, &r->snapshot);
    r->snapshot.data = r;
    uv_check_start(&r->snapshot, on_snapshot);
    pthread_mutex_lock(&r->mu);
    r->status.tcp_port = gcmon_server_tcp_port(r->server);
    pthread_mutex_unlock(&r->mu);
  }
  report_start(r, rc, err);
  uv_run(&r->loop, UV_RUN_DEFAULT); /* on failure: close half-open handles */
  uv_loop_close(&r->loop);
  gcmon_source_close(r->source);
  gcmon_source_close(r->sys);
  return NULL;
}

/* T1 with every signal blocked: it inherits the mask of its creator. */
static int spawn(gcmon_mp_runner *r) {
  pthread_attr_t attr;
  sigset_t all, old;
  int e;

  if (pthread_attr_init(&attr) != 0)
    return GCMON_ENOMEM;
  pthread_attr_setstacksize(&attr, T1_STACK_SIZE);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  e = pthread_create(&r->thread, &attr, t1_main, r);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  return e == 0 ? 0 : GCMON_ENOMEM;
}

static int copy_config(gcmon_mp_runner *r, const gcmon_mp_runner_config *cfg) {
  r->cfg = *cfg;
  if (cfg->listen && strlen(cfg->listen) >= sizeof r->listen)
    return GCMON_EINVAL;
  if (cfg->uart && strlen(cfg->uart) >= sizeof r->uart)
    return GCMON_EINVAL;
  if (cfg->token_len > sizeof r->token)
    return GCMON_EINVAL;
  snprintf(r->listen, sizeof r->listen, "%s", cfg->listen ? cfg->listen : "");
  snprintf(r->uart, sizeof r->uart, "%s", cfg->uart ? cfg->uart : "");
  snprintf(r->device_id, sizeof r->device_id, "%s",
           cfg->device_id ? cfg->device_id : "micropython");
  if (cfg->token_len)
    memcpy(r->token, cfg->token, cfg->token_len);
  r->cfg.token = NULL; /* ours from now on */
  return 0;
}

int gcmon_mp_runner_start(gcmon_mp_runner **out,
                          const gcmon_mp_runner_config *cfg, char *err,
                          size_t errlen) {
  gcmon_mp_runner *r = calloc(1, sizeof *r);
  int rc;

  if (r == NULL) {
    snprintf(err, errlen, "out of memory");
    return GCMON_ENOMEM;
  }
  rc = copy_config(r, cfg);
  if (rc != 0) {
    snprintf(err, errlen, "port, uart path or token too long");
    free(r);
    return rc;
  }
  r->status.tcp_port = -1;
  r->console_fd = -1;
  pthread_mutex_init(&r->mu, NULL);
  pthread_cond_init(&r->cv, NULL);
  rc = spawn(r);
  if (rc != 0) {
    snprintf(err, errlen, "cannot create the loop thread");
  } else {
    pthread_mutex_lock(&r->mu);
    while (!r->ready)
      pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    rc = r->start_rc;
    if (rc != 0) {
      snprintf(err, errlen, "%s", r->start_err);
      pthread_join(r->thread, NULL);
    }
  }
  if (rc != 0) {
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return rc;
  }
  *out = r;
  return 0;
}

void gcmon_mp_runner_stop(gcmon_mp_runner *r) {
  uv_async_send(&r->stop_async);
  pthread_join(r->thread, NULL);
  pthread_cond_destroy(&r->cv);
  pthread_mutex_destroy(&r->mu);
  free(r);
}

void gcmon_mp_runner_status(gcmon_mp_runner *r, gcmon_mp_status *out) {
  pthread_mutex_lock(&r->mu);
  *out = r->status;
  pthread_mutex_unlock(&r->mu);
  out->vm = gcmon_mp_mailbox_get_stats(r->cfg.mailbox);
}

int gcmon_mp_runner_attach(gcmon_mp_runner *r, int fd,
                           uint32_t link_bytes_per_s) {
  int rc;

  pthread_mutex_lock(&r->mu);
  if (r->console_state != CONSOLE_NONE) {
    pthread_mutex_unlock(&r->mu);
    return GCMON_EBUSY;
  }
  r->console_fd = fd;
  r->console_bps = link_bytes_per_s;
  r->console_state = CONSOLE_POSTED;
  pthread_mutex_unlock(&r->mu);
  uv_async_send(&r->attach_async);
  pthread_mutex_lock(&r->mu);
  while (r->console_state == CONSOLE_POSTED)
    pthread_cond_wait(&r->cv, &r->mu);
  rc = r->console_state == CONSOLE_SERVING ? 0 : GCMON_EIO;
  if (rc != 0)
    r->console_state = CONSOLE_NONE;
  pthread_mutex_unlock(&r->mu);
  return rc;
}

void gcmon_mp_runner_detach_wait(gcmon_mp_runner *r) {
  pthread_mutex_lock(&r->mu);
  while (r->console_state != CONSOLE_NONE)
    pthread_cond_wait(&r->cv, &r->mu);
  pthread_mutex_unlock(&r->mu);
}
