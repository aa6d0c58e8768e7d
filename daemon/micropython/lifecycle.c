/* The module's lifecycle (see lifecycle.h): the process-wide slot for the
 * one instance, the busy flag that makes start() and stop() exclusive, the
 * instance's phases, and T2's body. Nothing here knows MicroPython. */
#define _POSIX_C_SOURCE 200809L
#include "lifecycle.h"

#include "gcmon/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { STARTING, RUNNING, FAILED, FINISHED };

struct gcmon_mp_instance {
  gcmon_mp_life *life; /* its mu guards the fields marked below */
  gcmon_mp_mailbox mb;
  gcmon_mp_vm vm;
  gcmon_mp_runner_config cfg;
  char listen[64];
  char uart[128];
  char device_id[64];
  uint8_t token[64];
  unsigned poll_ms;
  /* Under life->mu: */
  int phase;
  char error[GCMON_MP_LAST_ERROR_MAX];
  gcmon_mp_runner *runner;     /* while T1 runs */
  gcmon_mp_status last_status; /* once T1 stopped */
  bool for_console; /* started by serve_console(), not by start() */
  /* The host's per-instance state (vm_init's context, spawn's data),
   * aligned for anything. */
  union {
    long double ld;
    void *p;
    uint64_t u;
  } vm_state[];
};

static void release(const gcmon_mp_host *h) {
  if (h->release)
    h->release(h->ctx);
}

static void reacquire(const gcmon_mp_host *h) {
  if (h->reacquire)
    h->reacquire(h->ctx);
}

static void set_phase(gcmon_mp_instance *g, int phase) {
  pthread_mutex_lock(&g->life->mu);
  g->phase = phase;
  pthread_cond_broadcast(&g->life->cv);
  pthread_mutex_unlock(&g->life->mu);
}

/* Under life->mu: wait until no start/stop is under way, then claim the
 * busy flag. The GIL is released around the wait by the caller. */
static void claim_busy(gcmon_mp_life *life) {
  while (life->busy)
    pthread_cond_wait(&life->cv, &life->mu);
  life->busy = true;
}

static void clear_busy(gcmon_mp_life *life) {
  pthread_mutex_lock(&life->mu);
  life->busy = false;
  pthread_cond_broadcast(&life->cv);
  pthread_mutex_unlock(&life->mu);
}

/* Under life->mu: wait for g to reach phase or a later one. */
static int wait_phase_locked(gcmon_mp_instance *g, int phase) {
  while (g->phase < phase)
    pthread_cond_wait(&g->life->cv, &g->life->mu);
  return g->phase;
}

static void destroy(gcmon_mp_instance *g) {
  gcmon_mp_mailbox_destroy(&g->mb);
  free(g);
}

/* Under life->mu, not busy: free an instance whose T2 left by itself. */
static void reap_finished_locked(gcmon_mp_life *life) {
  if (life->current != NULL && life->current->phase == FINISHED) {
    destroy(life->current);
    life->current = NULL;
  }
}

static int copy_config(gcmon_mp_instance *g, const gcmon_mp_runner_config *c) {
  g->cfg = *c;
  if ((c->listen && strlen(c->listen) >= sizeof g->listen) ||
      (c->uart && strlen(c->uart) >= sizeof g->uart) ||
      (c->device_id && strlen(c->device_id) >= sizeof g->device_id) ||
      c->token_len > sizeof g->token)
    return GCMON_EINVAL;
  if (c->listen)
    g->cfg.listen = strcpy(g->listen, c->listen);
  if (c->uart)
    g->cfg.uart = strcpy(g->uart, c->uart);
  if (c->device_id)
    g->cfg.device_id = strcpy(g->device_id, c->device_id);
  if (c->token_len)
    g->cfg.token = memcpy(g->token, c->token, c->token_len);
  g->cfg.mailbox = &g->mb;
  return 0;
}

/* A new instance, or NULL with err filled. */
static gcmon_mp_instance *create(gcmon_mp_life *life, const gcmon_mp_host *h,
                                 const gcmon_mp_runner_config *cfg, char *err,
                                 size_t errlen) {
  gcmon_mp_instance *g = calloc(1, sizeof *g + h->vm_state_size);

  if (g == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  g->life = life;
  g->phase = STARTING;
  g->poll_ms = h->worker_poll_ms ? h->worker_poll_ms : 50u;
  if (copy_config(g, cfg) != 0) {
    snprintf(err, errlen, "port, uart path or token too long");
    free(g);
    return NULL;
  }
  if (gcmon_mp_mailbox_init(&g->mb) != 0) {
    snprintf(err, errlen, "out of memory");
    free(g);
    return NULL;
  }
  h->vm_init(h->ctx, &g->vm, g->vm_state);
  return g;
}

int gcmon_mp_life_start(gcmon_mp_life *life, const gcmon_mp_host *h,
                        const gcmon_mp_runner_config *cfg, char *err,
                        size_t errlen) {
  gcmon_mp_instance *g;
  int rc, phase;

  release(h);
  pthread_mutex_lock(&life->mu);
  claim_busy(life);
  /* A T2 leaving by itself (soft reset) has dropped its runner: let it
   * finish, then free it, rather than call it running. */
  if (life->current != NULL && life->current->runner == NULL)
    wait_phase_locked(life->current, FINISHED);
  reap_finished_locked(life);
  rc = life->current != NULL ? GCMON_EBUSY : 0;
  pthread_mutex_unlock(&life->mu);
  reacquire(h);
  if (rc != 0) {
    snprintf(err, errlen, "gcmon already running");
    clear_busy(life);
    return rc;
  }

  g = create(life, h, cfg, err, errlen);
  if (g == NULL) {
    clear_busy(life);
    return GCMON_ENOMEM;
  }
  rc = h->spawn(h->ctx, g); /* with the GIL: it may allocate */
  if (rc != 0) {
    snprintf(err, errlen, "cannot create the VM worker thread");
    destroy(g);
    clear_busy(life);
    return rc;
  }

  release(h); /* T2 needs the GIL to register */
  pthread_mutex_lock(&life->mu);
  phase = wait_phase_locked(g, RUNNING);
  if (phase != RUNNING) { /* failed, or the VM stopped it at once */
    wait_phase_locked(g, FINISHED);
    snprintf(err, errlen, "%s",
             g->error[0] ? g->error : "the VM stopped it at once");
  } else {
    life->current = g;
  }
  life->busy = false;
  pthread_cond_broadcast(&life->cv);
  pthread_mutex_unlock(&life->mu);
  reacquire(h);
  if (phase != RUNNING) {
    destroy(g);
    return GCMON_EIO;
  }
  return 0;
}

bool gcmon_mp_life_stop(gcmon_mp_life *life, const gcmon_mp_host *h) {
  gcmon_mp_instance *g;

  release(h);
  pthread_mutex_lock(&life->mu);
  claim_busy(life);
  while (life->consoles > 0) /* serve_console() uses its runner */
    pthread_cond_wait(&life->cv, &life->mu);
  g = life->current;
  life->current = NULL; /* ours alone from here: nobody else frees it */
  pthread_mutex_unlock(&life->mu);
  if (g != NULL) {
    gcmon_mp_mailbox_close(&g->mb); /* T2 leaves serve(), stops T1 */
    pthread_mutex_lock(&life->mu);
    wait_phase_locked(g, FINISHED);
    pthread_mutex_unlock(&life->mu);
    destroy(g);
  }
  clear_busy(life);
  reacquire(h);
  return g != NULL;
}

void gcmon_mp_life_status(gcmon_mp_life *life, gcmon_mp_life_view *out) {
  gcmon_mp_instance *g;

  memset(out, 0, sizeof *out);
  out->port = -1;
  pthread_mutex_lock(&life->mu);
  if (!life->busy)
    reap_finished_locked(life);
  g = life->current;
  if (g != NULL) {
    out->present = true;
    out->running = g->runner != NULL;
    if (out->running)
      gcmon_mp_runner_status(g->runner, &out->st);
    else
      out->st = g->last_status;
    out->port = g->cfg.listen ? out->st.tcp_port : -1;
    snprintf(out->uart, sizeof out->uart, "%s", g->cfg.uart ? g->uart : "");
    out->interval_ms = g->cfg.interval_ms;
    out->scan_ms = g->cfg.scan_ms;
  }
  pthread_mutex_unlock(&life->mu);
}

void gcmon_mp_life_worker(gcmon_mp_instance *g) {
  char err[GCMON_MP_LAST_ERROR_MAX] = "";
  gcmon_mp_runner *runner = NULL;
  gcmon_mp_life *life = g->life;
  int rc = gcmon_mp_runner_start(&runner, &g->cfg, err, sizeof err);

  pthread_mutex_lock(&life->mu);
  g->runner = runner;
  snprintf(g->error, sizeof g->error, "%s", err);
  g->phase = rc == 0 ? RUNNING : FAILED;
  pthread_cond_broadcast(&life->cv);
  pthread_mutex_unlock(&life->mu);
  if (rc != 0)
    return;

  gcmon_mp_mailbox_serve(&g->mb, &g->vm, g->poll_ms);
  gcmon_mp_mailbox_close(&g->mb); /* T1 must not wait on us now */
  pthread_mutex_lock(&life->mu);
  while (life->consoles > 0) /* a serve_console() still uses the runner */
    pthread_cond_wait(&life->cv, &life->mu);
  gcmon_mp_runner_status(runner, &g->last_status);
  g->runner = NULL;
  pthread_mutex_unlock(&life->mu);
  gcmon_mp_runner_stop(runner);
}

void gcmon_mp_life_worker_finished(gcmon_mp_instance *g) {
  set_phase(g, FINISHED); /* g may be freed from here on */
}

void *gcmon_mp_life_vm_state(gcmon_mp_instance *g) {
  return g->vm_state;
}

/* Under life->mu: pin the running instance's runner, or NULL. */
static gcmon_mp_runner *pin_runner_locked(gcmon_mp_life *life) {
  if (life->current == NULL || life->current->runner == NULL)
    return NULL;
  life->consoles++;
  return life->current->runner;
}

int gcmon_mp_life_serve_console(gcmon_mp_life *life, const gcmon_mp_host *h,
                                const gcmon_mp_runner_config *idle_cfg,
                                const gcmon_mp_console_io *io,
                                unsigned idle_ms,
                                gcmon_mp_console_result *out, char *err,
                                size_t errlen) {
  gcmon_mp_runner *r;
  gcmon_mp_status st;
  bool own = false;
  int rc;

  release(h);
  pthread_mutex_lock(&life->mu);
  while (life->busy)
    pthread_cond_wait(&life->cv, &life->mu);
  r = pin_runner_locked(life);
  pthread_mutex_unlock(&life->mu);
  reacquire(h);
  if (r == NULL) {
    rc = gcmon_mp_life_start(life, h, idle_cfg, err, errlen);
    if (rc != 0 && rc != GCMON_EBUSY)
      return rc;
    own = rc == 0;
    pthread_mutex_lock(&life->mu);
    r = pin_runner_locked(life);
    if (r != NULL && own)
      life->current->for_console = true;
    pthread_mutex_unlock(&life->mu);
    if (r == NULL) {
      snprintf(err, errlen, "gcmon stopped while the console started");
      return GCMON_EIO;
    }
  }
  rc = gcmon_mp_console_serve(r, io, idle_ms, out);
  if (rc == GCMON_EBUSY)
    snprintf(err, errlen, "the console is served already");
  else if (rc != 0)
    snprintf(err, errlen, "cannot serve the console");
  gcmon_mp_runner_status(r, &st); /* still pinned */
  pthread_mutex_lock(&life->mu);
  own = life->current != NULL && life->current->runner == r &&
        life->current->for_console;
  life->consoles--;
  pthread_cond_broadcast(&life->cv);
  pthread_mutex_unlock(&life->mu);
  /* An instance serve_console() started ends with the call, unless the
   * host left alarm rules: those are evaluated at every tick and outlive
   * sessions, so it keeps running (as after gcmon.start() without a
   * transport) until a later call ends with none left, or gcmon.stop(). */
  if (own && st.alarm_rules == 0)
    gcmon_mp_life_stop(life, h);
  return rc;
}
