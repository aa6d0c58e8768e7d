/* The T1 -> T2 mailbox (see mailbox.h): one request slot, a mutex and two
 * condition variables, and the claim rule that makes timeouts safe.
 *
 * States of the slot:
 *   IDLE     empty
 *   POSTED   a request waits; the caller may withdraw it (-> IDLE)
 *   CLAIMED  T2 entered the VM and took it; only T2 moves it on (-> DONE)
 *   DONE     results are in; the caller copies them out (-> IDLE) */
#define _POSIX_C_SOURCE 200809L
#include "mailbox.h"

#include "gcmon/error.h"

#include <errno.h>
#include <time.h>

enum { IDLE, POSTED, CLAIMED, DONE };

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Absolute deadline ms from now on the condvars' clock. */
static struct timespec deadline_in(const gcmon_mp_mailbox *mb, unsigned ms) {
  struct timespec ts;
  clock_gettime(mb->monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)(ms / 1000u);
  ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

int gcmon_mp_mailbox_init(gcmon_mp_mailbox *mb) {
  pthread_condattr_t attr;

  *mb = (gcmon_mp_mailbox){.state = IDLE};
  if (pthread_condattr_init(&attr) != 0)
    return GCMON_ENOMEM;
  /* Deadlines immune to wall-clock steps where the platform allows. */
  mb->monotonic = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0;
  if (pthread_mutex_init(&mb->mu, NULL) != 0) {
    pthread_condattr_destroy(&attr);
    return GCMON_ENOMEM;
  }
  if (pthread_cond_init(&mb->to_worker, &attr) != 0) {
    pthread_mutex_destroy(&mb->mu);
    pthread_condattr_destroy(&attr);
    return GCMON_ENOMEM;
  }
  if (pthread_cond_init(&mb->to_caller, &attr) != 0) {
    pthread_cond_destroy(&mb->to_worker);
    pthread_mutex_destroy(&mb->mu);
    pthread_condattr_destroy(&attr);
    return GCMON_ENOMEM;
  }
  pthread_condattr_destroy(&attr);
  return 0;
}

void gcmon_mp_mailbox_destroy(gcmon_mp_mailbox *mb) {
  pthread_cond_destroy(&mb->to_caller);
  pthread_cond_destroy(&mb->to_worker);
  pthread_mutex_destroy(&mb->mu);
}

int gcmon_mp_mailbox_post(gcmon_mp_mailbox *mb, const gcmon_mp_request *req) {
  int rc = 0;

  pthread_mutex_lock(&mb->mu);
  if (mb->closing)
    rc = GCMON_ECANCELED;
  else if (mb->state != IDLE)
    rc = GCMON_EBUSY;
  else {
    mb->req = *req;
    mb->state = POSTED;
    pthread_cond_signal(&mb->to_worker);
  }
  pthread_mutex_unlock(&mb->mu);
  return rc;
}

int gcmon_mp_mailbox_wait(gcmon_mp_mailbox *mb, gcmon_mp_request *req,
                          unsigned wait_ms) {
  struct timespec deadline = deadline_in(mb, wait_ms);
  int rc = 0;

  pthread_mutex_lock(&mb->mu);
  while (mb->state != DONE) {
    if (mb->state == IDLE || (mb->closing && mb->state == POSTED)) {
      mb->state = IDLE; /* closed: a posted request will never run */
      rc = GCMON_ECANCELED;
      break;
    }
    if (wait_ms == GCMON_MP_WAIT_FOREVER) {
      pthread_cond_wait(&mb->to_caller, &mb->mu);
    } else if (pthread_cond_timedwait(&mb->to_caller, &mb->mu, &deadline) ==
                   ETIMEDOUT &&
               mb->state != DONE) {
      rc = GCMON_ETIMEDOUT;
      break;
    }
  }
  if (rc == 0) {
    *req = mb->req;
    mb->state = IDLE;
  }
  pthread_mutex_unlock(&mb->mu);
  return rc;
}

bool gcmon_mp_mailbox_withdraw(gcmon_mp_mailbox *mb) {
  bool withdrawn = false;

  pthread_mutex_lock(&mb->mu);
  if (mb->state == POSTED) {
    mb->state = IDLE;
    mb->stats.withdrawn++;
    withdrawn = true;
  } else if (mb->state == CLAIMED || mb->state == DONE) {
    mb->stats.overran++; /* committed: the caller waits it out */
  }
  pthread_mutex_unlock(&mb->mu);
  return withdrawn;
}

int gcmon_mp_mailbox_call(gcmon_mp_mailbox *mb, gcmon_mp_request *req,
                          unsigned timeout_ms) {
  int rc = gcmon_mp_mailbox_post(mb, req);

  if (rc != 0)
    return GCMON_ECANCELED;
  rc = gcmon_mp_mailbox_wait(mb, req, timeout_ms);
  if (rc != GCMON_ETIMEDOUT)
    return rc;
  if (gcmon_mp_mailbox_withdraw(mb))
    return GCMON_EBUSY;
  return gcmon_mp_mailbox_wait(mb, req, GCMON_MP_WAIT_FOREVER);
}

/* vm->read, timing it when it scans. */
static void read_vm(const gcmon_mp_vm *vm, bool full, gcmon_mp_reading *out,
                    gcmon_mp_request *r) {
  uint64_t t0 = full ? mono_us() : 0;

  vm->read(vm->ctx, full, out);
  if (full) {
    uint64_t dt = mono_us() - t0;
    r->scan_us_sum += dt;
    if (dt > r->scan_us_max)
      r->scan_us_max = dt;
    r->scans++;
  }
}

static void run(const gcmon_mp_vm *vm, gcmon_mp_request *r) {
  uint64_t t0, pause_us;

  r->rc = 0;
  r->scans = 0;
  r->scan_us_sum = r->scan_us_max = 0;
  switch (r->op) {
  case GCMON_MP_READ:
    read_vm(vm, r->full, &r->after, r);
    r->n_collections = 0;
    r->lost_collections = 0;
    if (vm->take_collections) {
      r->n_collections = vm->take_collections(vm->ctx, r->collections,
                                              GCMON_MP_COLLECTIONS_PER_READ,
                                              &r->lost_collections);
      r->taken_mono_us = mono_us();
    }
    break;
  case GCMON_MP_COLLECT:
    read_vm(vm, true, &r->before, r);
    t0 = mono_us();
    pause_us = 0;
    r->rc = vm->collect(vm->ctx, &pause_us);
    r->duration_us = pause_us ? pause_us : mono_us() - t0;
    read_vm(vm, true, &r->after, r);
    break;
  case GCMON_MP_SET_THRESHOLD:
    vm->set_threshold(vm->ctx, r->threshold);
    read_vm(vm, false, &r->after, r);
    break;
  case GCMON_MP_SET_ENABLED:
    vm->set_enabled(vm->ctx, r->enabled);
    read_vm(vm, false, &r->after, r);
    break;
  }
}

bool gcmon_mp_mailbox_serve(gcmon_mp_mailbox *mb, const gcmon_mp_vm *vm,
                            unsigned poll_ms) {
  bool vm_exit = false;

  pthread_mutex_lock(&mb->mu);
  while (!mb->closing) {
    /* Asked on every pass, so a stream of requests cannot hide a soft
     * reset from us. */
    if (vm->should_exit != NULL) {
      pthread_mutex_unlock(&mb->mu);
      vm_exit = vm->should_exit(vm->ctx);
      pthread_mutex_lock(&mb->mu);
      if (vm_exit || mb->closing)
        break;
    }
    if (mb->state != POSTED) {
      struct timespec deadline = deadline_in(mb, poll_ms);
      pthread_cond_timedwait(&mb->to_worker, &mb->mu, &deadline);
      continue;
    }
    /* Enter the VM first, then claim: while we wait for the GIL the
     * caller can still withdraw the request. */
    pthread_mutex_unlock(&mb->mu);
    vm->enter(vm->ctx);
    pthread_mutex_lock(&mb->mu);
    if (mb->state == POSTED && !mb->closing) {
      gcmon_mp_request r = mb->req;
      mb->state = CLAIMED;
      pthread_mutex_unlock(&mb->mu);
      run(vm, &r);
      pthread_mutex_lock(&mb->mu);
      mb->req = r;
      mb->state = DONE;
      mb->stats.served++;
      mb->stats.scans += r.scans;
      mb->stats.scan_us_total += r.scan_us_sum;
      if (r.scan_us_max > mb->stats.scan_us_max)
        mb->stats.scan_us_max = r.scan_us_max;
      pthread_cond_broadcast(&mb->to_caller);
    }
    pthread_mutex_unlock(&mb->mu);
    vm->leave(vm->ctx);
    pthread_mutex_lock(&mb->mu);
  }
  mb->closing = true;
  pthread_cond_broadcast(&mb->to_caller);
  pthread_mutex_unlock(&mb->mu);
  return vm_exit;
}

void gcmon_mp_mailbox_close(gcmon_mp_mailbox *mb) {
  pthread_mutex_lock(&mb->mu);
  mb->closing = true;
  pthread_cond_broadcast(&mb->to_worker);
  pthread_cond_broadcast(&mb->to_caller);
  pthread_mutex_unlock(&mb->mu);
}

gcmon_mp_mailbox_stats gcmon_mp_mailbox_get_stats(gcmon_mp_mailbox *mb) {
  gcmon_mp_mailbox_stats s;

  pthread_mutex_lock(&mb->mu);
  s = mb->stats;
  pthread_mutex_unlock(&mb->mu);
  return s;
}
