/* The `micropython` source (see source_micropython.h): turns source ops into
 * mailbox requests, decides when a series reading scans the heap, and
 * counts collections from consecutive readings; collections the VM timed
 * (vm.h take_collections) are handed to the agent as records. */
#define _POSIX_C_SOURCE 200809L
#include "source_micropython.h"
#include "source_impl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct mp_source {
  gcmon_source base;
  gcmon_mp_mailbox *mb;
  unsigned timeout_ms;
  uint64_t scan_us;
  gcmon_source *sys;
  bool have_scan;
  uint64_t scan_at_us;
  gcmon_mp_reading scan; /* the last full reading */
  bool have_prev;
  gcmon_mp_reading prev; /* the last reading of any kind */
  uint64_t collections;
  uint64_t counted_unreported; /* counted by observe(), not yet reported */
  gcmon_source_collection timed[8]; /* timed by the VM, for the agent */
  size_t n_timed;
  /* A READ left posted while the VM was busy (source_micropython.h). */
  bool pending;
  uint64_t pending_since_us; /* monotonic: when the VM began to keep us */
  bool fresh; /* a reading arrived since the last series sample */
} mp_source;

static uint64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Count a collection we did not ask for when r shows one since the
 * previous reading, then make r the previous reading. */
static void observe(mp_source *m, const gcmon_mp_reading *r) {
  if (m->have_prev && (r->alloc_amount < m->prev.alloc_amount ||
                       r->collected != m->prev.collected)) {
    m->collections++;
    m->counted_unreported++;
  }
  m->prev = *r;
  m->have_prev = true;
}

/* One collection the VM saw: counted unless observe() already did (the
 * agent records a counted one it has no record for with no cause). */
static void count_seen(mp_source *m) {
  if (m->counted_unreported > 0)
    m->counted_unreported--;
  else
    m->collections++;
}

/* Collections the VM timed: queue them for the agent (the oldest go when
 * it does not take them) and count those observe() could not see (several
 * between two readings look like one), and those the VM lost. */
static void take_timed(mp_source *m, const gcmon_mp_request *req,
                       uint64_t now_us) {
  for (uint64_t i = 0; i < req->lost_collections; i++)
    count_seen(m);
  for (unsigned i = 0; i < req->n_collections; i++) {
    const gcmon_mp_collection *c = &req->collections[i];
    uint64_t age = req->taken_mono_us - c->start_mono_us;
    gcmon_source_collection *dst;
    if (m->n_timed == sizeof m->timed / sizeof m->timed[0]) {
      memmove(m->timed, m->timed + 1,
              (m->n_timed - 1) * sizeof m->timed[0]);
      m->n_timed--;
    }
    dst = &m->timed[m->n_timed++];
    dst->cause =
        c->by_program ? GCMON_COLLECTION_PROGRAM : GCMON_COLLECTION_AUTOMATIC;
    dst->start_us = now_us > age ? now_us - age : 0;
    dst->pause_us = c->pause_us;
    dst->alloc_before = (int64_t)c->used_before;
    dst->alloc_after = (int64_t)c->used_after;
    dst->largest_free_after = -1;
    count_seen(m);
  }
}

static size_t mp_take_collections(gcmon_source *src,
                                  gcmon_source_collection *out, size_t max) {
  mp_source *m = (mp_source *)src;
  size_t n = m->n_timed < max ? m->n_timed : max;

  memcpy(out, m->timed, n * sizeof *out);
  memmove(m->timed, m->timed + n, (m->n_timed - n) * sizeof *out);
  m->n_timed -= n;
  return n;
}

static void remember_scan(mp_source *m, const gcmon_mp_reading *r,
                          uint64_t now_us) {
  m->scan = *r;
  m->scan_at_us = now_us;
  m->have_scan = true;
}

/* A READ served by T2 becomes the source's state: its reading, and the
 * collections the VM timed since the last one. */
static void absorb(mp_source *m, const gcmon_mp_request *req,
                   uint64_t now_us) {
  observe(m, &req->after);
  take_timed(m, req, now_us);
  if (req->after.full)
    remember_scan(m, &req->after, now_us);
  m->fresh = true;
}

static int busy_error(mp_source *m) {
  return gcmon__source_fail(&m->base, GCMON_EBUSY,
                            "the VM did not let us in within %u ms (GIL "
                            "held)",
                            m->timeout_ms);
}

static int failed(mp_source *m, int rc) {
  if (rc == GCMON_ECANCELED)
    return gcmon__source_fail(&m->base, rc, "the VM worker has stopped");
  return rc;
}

/* Collect the pending READ if T2 has served it, waiting up to wait_ms.
 * 0 (nothing pending any more), GCMON_ETIMEDOUT or GCMON_ECANCELED. */
static int settle(mp_source *m, unsigned wait_ms, uint64_t now_us) {
  gcmon_mp_request req;
  int rc;

  if (!m->pending)
    return 0;
  rc = gcmon_mp_mailbox_wait(m->mb, &req, wait_ms);
  if (rc == GCMON_ETIMEDOUT)
    return rc;
  m->pending = false;
  if (rc == 0)
    absorb(m, &req, now_us);
  return rc;
}

/* Milliseconds left of the VM's allowance, counted from `since`. */
static unsigned left_ms(const mp_source *m, uint64_t since) {
  uint64_t used = (mono_us() - since) / 1000u;
  return used >= m->timeout_ms ? 0u : (unsigned)(m->timeout_ms - used);
}

/* Leave a READ posted (or keep the one there) as the mark that the VM is
 * busy since `since`. */
static void leave_pending(mp_source *m, uint64_t since) {
  gcmon_mp_request probe = {.op = GCMON_MP_READ};

  if (!m->pending && gcmon_mp_mailbox_post(m->mb, &probe) != 0)
    return;
  m->pending = true;
  m->pending_since_us = since;
}

/* A VM-bound call (on-demand): req run by T2 within the allowance, else
 * GCMON_EBUSY at once when the VM has been busy for call_timeout_ms. */
static int vm_call(mp_source *m, gcmon_mp_request *req, uint64_t now_us) {
  uint64_t since = mono_us();
  int rc;

  if (m->pending) {
    since = m->pending_since_us;
    rc = settle(m, left_ms(m, since), now_us);
    if (rc == GCMON_ETIMEDOUT)
      return busy_error(m);
    if (rc != 0)
      return failed(m, rc);
    since = mono_us(); /* the VM answered: a fresh allowance */
  }
  rc = gcmon_mp_mailbox_post(m->mb, req);
  if (rc != 0)
    return failed(m, GCMON_ECANCELED);
  m->pending = req->op == GCMON_MP_READ; /* a READ may run late */
  m->pending_since_us = since;
  rc = gcmon_mp_mailbox_wait(m->mb, req, left_ms(m, since));
  if (rc == GCMON_ETIMEDOUT) {
    if (m->pending)
      return busy_error(m); /* the READ stays posted: the busy mark */
    if (gcmon_mp_mailbox_withdraw(m->mb)) {
      leave_pending(m, since);
      return busy_error(m);
    }
    rc = gcmon_mp_mailbox_wait(m->mb, req, GCMON_MP_WAIT_FOREVER);
  }
  m->pending = false;
  if (rc != 0)
    return failed(m, rc);
  if (req->rc != 0)
    return gcmon__source_fail(&m->base, GCMON_EIO, "gc.collect() raised");
  return 0;
}

static bool scan_due(const mp_source *m, const gcmon_sample *out,
                     uint64_t now_us) {
  return out->seq == 0 || !m->have_scan || m->scan_us == 0 ||
         now_us - m->scan_at_us >= m->scan_us;
}

/* The sys_* counters from the companion source; absent if it fails. */
static void read_sys(mp_source *m, uint64_t now_us, gcmon_sample *out) {
  gcmon_sample s;

  if (m->sys == NULL)
    return;
  memset(&s, 0, sizeof s);
  if (m->sys->ops->read(m->sys, now_us, &s) != 0)
    return;
  out->sys_total = s.sys_total;
  out->has_sys_heap = s.has_sys_heap;
  out->has_sys_page = s.has_sys_page;
  out->has_sys_mmz = s.has_sys_mmz;
  out->sys_heap = s.sys_heap;
  out->sys_page = s.sys_page;
  out->sys_mmz = s.sys_mmz;
}

/* A series reading: never waits on a busy VM (source_micropython.h). */
static int series_read(mp_source *m, uint64_t now_us, gcmon_sample *out) {
  gcmon_mp_request req = {.op = GCMON_MP_READ};
  int rc = settle(m, 0, now_us);

  if (rc == 0) {
    req.full = scan_due(m, out, now_us);
    if (gcmon_mp_mailbox_post(m->mb, &req) != 0)
      return failed(m, GCMON_ECANCELED);
    m->pending = true;
    m->pending_since_us = mono_us();
    rc = settle(m,
                m->timeout_ms < GCMON_MP_SERIES_WAIT_MS
                    ? m->timeout_ms
                    : GCMON_MP_SERIES_WAIT_MS,
                now_us);
  }
  if (rc == GCMON_ECANCELED)
    return failed(m, rc);
  return 0; /* with the gc fields when a reading came in since the last */
}

static int mp_read(gcmon_source *src, uint64_t now_us, gcmon_sample *out) {
  mp_source *m = (mp_source *)src;
  int rc;

  if (out->seq != 0) {
    rc = series_read(m, now_us, out);
  } else {
    gcmon_mp_request req = {.op = GCMON_MP_READ, .full = true};
    rc = vm_call(m, &req, now_us);
    if (rc == 0)
      absorb(m, &req, now_us);
  }
  if (rc != 0)
    return rc;

  out->uptime_us = now_us;
  out->has_gc = m->fresh && m->have_scan;
  if (out->has_gc) {
    out->gc.mem_alloc = (int64_t)m->scan.used;
    /* Exactly gc.mem_free(): with a split heap that grows by itself, the
     * room it can still grow counts as free (py/modgc.c). */
    out->gc.mem_free = (int64_t)(m->scan.free + m->scan.grow_room);
    out->gc.largest_free = (int64_t)m->scan.largest_free;
    out->gc.threshold = m->prev.threshold;
    out->gc.enabled = m->prev.enabled;
    out->gc.collections = m->collections;
  }
  m->fresh = false;
  read_sys(m, now_us, out);
  return 0;
}

static int mp_collect(gcmon_source *src, uint64_t now_us, int64_t *freed_bytes,
                      uint64_t *duration_us) {
  mp_source *m = (mp_source *)src;
  gcmon_mp_request req = {.op = GCMON_MP_COLLECT};
  int rc = vm_call(m, &req, now_us);

  if (rc != 0)
    return rc;
  observe(m, &req.before); /* any collection since the last reading */
  m->collections++;        /* ours */
  m->prev = req.after;     /* the baseline after ours */
  remember_scan(m, &req.after, now_us);
  *freed_bytes = (int64_t)req.before.used - (int64_t)req.after.used;
  *duration_us = req.duration_us;
  return 0;
}

static int mp_set_threshold(gcmon_source *src, int64_t bytes) {
  mp_source *m = (mp_source *)src;
  gcmon_mp_request req = {.op = GCMON_MP_SET_THRESHOLD, .threshold = bytes};
  int rc = vm_call(m, &req, 0);

  if (rc == 0)
    observe(m, &req.after);
  return rc;
}

static int mp_set_enabled(gcmon_source *src, bool enabled) {
  mp_source *m = (mp_source *)src;
  gcmon_mp_request req = {.op = GCMON_MP_SET_ENABLED, .enabled = enabled};
  int rc = vm_call(m, &req, 0);

  if (rc == 0)
    observe(m, &req.after);
  return rc;
}

static void mp_close(gcmon_source *src) {
  free(src);
}

static const gcmon_source_ops mp_ops = {.name = "micropython",
                                        .read = mp_read,
                                        .collect = mp_collect,
                                        .set_threshold = mp_set_threshold,
                                        .set_enabled = mp_set_enabled,
                                        .close = mp_close,
                                        .take_collections = mp_take_collections,
                                        .unexplained_cause =
                                            GCMON_COLLECTION_UNKNOWN};

int gcmon_mp_source_open(gcmon_source **out, const gcmon_mp_source_config *cfg,
                         char *err, size_t errlen) {
  mp_source *m;

  if (out == NULL || cfg == NULL || cfg->mailbox == NULL) {
    gcmon__source_errf(err, errlen, "micropython: no mailbox to the VM");
    return GCMON_EINVAL;
  }
  m = calloc(1, sizeof *m);
  if (m == NULL) {
    gcmon__source_errf(err, errlen, "micropython: out of memory");
    return GCMON_ENOMEM;
  }
  m->base.ops = &mp_ops;
  m->base.impl = m;
  m->mb = cfg->mailbox;
  m->timeout_ms = cfg->call_timeout_ms ? cfg->call_timeout_ms
                                       : GCMON_MP_DEFAULT_CALL_TIMEOUT_MS;
  m->scan_us = (uint64_t)cfg->scan_ms * 1000u;
  m->sys = cfg->sys;
  strncpy(m->base.device_id, cfg->device_id ? cfg->device_id : "micropython",
          GCMON_DEVICE_ID_MAX);
  *out = &m->base;
  return 0;
}
