/* The mailbox between the module's two threads.
 *
 * T1, a plain pthread that runs the libuv loop (runner.h), never touches
 * the VM. T2, a thread registered with the VM, does every VM operation
 * (vm.h). T1 posts one request at a time and waits for it; T2 serves:
 *
 *     T1:  gcmon_mp_request r = {.op = GCMON_MP_READ, .full = true};
 *          rc = gcmon_mp_mailbox_call(&mb, &r, 2000);  // r.after filled
 *
 *     T2:  gcmon_mp_mailbox_serve(&mb, &vm, 50);       // until closed
 *
 * Timeouts cannot leave a request behind to act later. T2 claims a request
 * only once it has entered the VM (holds the GIL), so a caller whose time
 * runs out finds it either unclaimed, and withdraws it (GCMON_EBUSY; it
 * never runs), or claimed, and then waits for it to finish: a claimed
 * request is short (a scan, a store, one collection) and no longer waits
 * for the GIL. Either way the mailbox is empty when call() returns.
 *
 * Closing (stop(), or T2 leaving at a soft reset) fails a waiting request
 * and every later one with GCMON_ECANCELED, so T1 never waits on a T2 that
 * has gone. Blocking here is on condition variables, which signals (the
 * unix port's GC scan signal) do not turn into errors. */
#ifndef GCMON_MP_MAILBOX_H
#define GCMON_MP_MAILBOX_H

#include "vm.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
  GCMON_MP_READ,
  GCMON_MP_COLLECT,
  GCMON_MP_SET_THRESHOLD,
  GCMON_MP_SET_ENABLED
} gcmon_mp_op;

typedef struct gcmon_mp_request {
  gcmon_mp_op op;
  bool full;         /* READ: also scan the heap */
  int64_t threshold; /* SET_THRESHOLD: bytes, negative = off */
  bool enabled;      /* SET_ENABLED */
  /* Results, valid when call() returns 0. */
  int rc;                  /* the op's own result (COLLECT may fail) */
  gcmon_mp_reading before; /* COLLECT: full reading just before */
  gcmon_mp_reading after;  /* READ: the reading; COLLECT: full, just
                              after; SET_*: cheap, after the store */
  uint64_t duration_us;    /* COLLECT: the collection alone (as the VM
                              timed it, else the call) */
  /* READ: collections the VM timed since the last READ, and T2's clock
   * when it took them (to place them on the agent's clock). */
  gcmon_mp_collection collections[GCMON_MP_COLLECTIONS_PER_READ];
  unsigned n_collections;
  uint64_t lost_collections; /* more the VM saw but could not keep */
  uint64_t taken_mono_us;
  unsigned scans;                    /* full scans this request did */
  uint64_t scan_us_sum, scan_us_max; /* and what they took */
} gcmon_mp_request;

typedef struct gcmon_mp_mailbox_stats {
  uint64_t served;    /* requests T2 ran */
  uint64_t withdrawn; /* timed out before T2 claimed them: never ran */
  uint64_t overran;   /* timed out after the claim: waited for */
  uint64_t scans;     /* full heap scans (gc_info) */
  uint64_t scan_us_total, scan_us_max; /* their cost, as T2 timed them */
} gcmon_mp_mailbox_stats;

typedef struct gcmon_mp_mailbox {
  pthread_mutex_t mu;
  pthread_cond_t to_worker; /* a request is posted, or closing */
  pthread_cond_t to_caller; /* the request is done, or closing */
  bool monotonic;           /* the condvars time out on CLOCK_MONOTONIC */
  int state;                /* IDLE, POSTED, CLAIMED, DONE (mailbox.c) */
  bool closing;
  gcmon_mp_request req;
  gcmon_mp_mailbox_stats stats;
} gcmon_mp_mailbox;

/* 0 or GCMON_ENOMEM (pthread objects could not be made). */
int gcmon_mp_mailbox_init(gcmon_mp_mailbox *mb);
/* Only once neither thread uses it any more. */
void gcmon_mp_mailbox_destroy(gcmon_mp_mailbox *mb);

/* T1: post req, wait up to timeout_ms for T2 to run it, copy the results
 * back into req. 0 (the op's own result is in req->rc), GCMON_EBUSY (timed
 * out before T2 took it; it will never run) or GCMON_ECANCELED (closed, or
 * the slot holds another request). post + wait + withdraw, below. */
int gcmon_mp_mailbox_call(gcmon_mp_mailbox *mb, gcmon_mp_request *req,
                          unsigned timeout_ms);

/* The same in steps, for a caller that must not block while the VM is
 * busy (source_micropython.c leaves a READ posted and carries on).
 *
 * post: 0, GCMON_EBUSY (the slot holds a request) or GCMON_ECANCELED.
 * wait: up to wait_ms (GCMON_MP_WAIT_FOREVER: no limit) for the posted
 *   request; 0 with the results in req and the slot empty,
 *   GCMON_ETIMEDOUT (still posted or running; ask again later), or
 *   GCMON_ECANCELED (closed; the slot is empty).
 * withdraw: take back a posted request T2 has not claimed: true (it will
 *   never run; the slot is empty). false when T2 has claimed it: it is
 *   short, wait for it (counted in `overran`); or when the slot is empty. */
#define GCMON_MP_WAIT_FOREVER 0xffffffffu
int gcmon_mp_mailbox_post(gcmon_mp_mailbox *mb, const gcmon_mp_request *req);
int gcmon_mp_mailbox_wait(gcmon_mp_mailbox *mb, gcmon_mp_request *req,
                          unsigned wait_ms);
bool gcmon_mp_mailbox_withdraw(gcmon_mp_mailbox *mb);

/* T2: run posted requests on vm until the mailbox is closed, polling
 * vm->should_exit at least every poll_ms. Returns true when it stopped
 * because the VM asked (the mailbox is then closed too), false when closed
 * by gcmon_mp_mailbox_close(). */
bool gcmon_mp_mailbox_serve(gcmon_mp_mailbox *mb, const gcmon_mp_vm *vm,
                            unsigned poll_ms);

/* Any thread: fail the waiting request and all later ones, and make
 * serve() return. Idempotent. */
void gcmon_mp_mailbox_close(gcmon_mp_mailbox *mb);

gcmon_mp_mailbox_stats gcmon_mp_mailbox_get_stats(gcmon_mp_mailbox *mb);

#endif
