/* The `micropython` source (see source_micropython.h): turns source ops into
 * mailbox requests, decides when a series reading scans the heap, and
 * counts collections from consecutive readings. */
#define _POSIX_C_SOURCE 200809L
#include "source_micropython.h"
#include "source_impl.h"

#include <stdlib.h>
#include <string.h>

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
} mp_source;

/* One round trip to T2; a failure is worded into src->error. */
static int call(mp_source *m, gcmon_mp_request *req) {
  int rc = gcmon_mp_mailbox_call(m->mb, req, m->timeout_ms);

  if (rc == GCMON_EBUSY)
    return gcmon__source_fail(&m->base, rc,
                              "micropython: the VM did not let us in within "
                              "%u ms (GIL held)",
                              m->timeout_ms);
  if (rc == GCMON_ECANCELED)
    return gcmon__source_fail(&m->base, rc,
                              "micropython: the VM worker has stopped");
  if (rc == 0 && req->rc != 0)
    return gcmon__source_fail(&m->base, GCMON_EIO,
                              "micropython: gc.collect() raised");
  return rc;
}

/* Count a collection we did not ask for when r shows one since the
 * previous reading, then make r the previous reading. */
static void observe(mp_source *m, const gcmon_mp_reading *r) {
  if (m->have_prev && (r->alloc_amount < m->prev.alloc_amount ||
                       r->collected != m->prev.collected))
    m->collections++;
  m->prev = *r;
  m->have_prev = true;
}

static void remember_scan(mp_source *m, const gcmon_mp_reading *r,
                          uint64_t now_us) {
  m->scan = *r;
  m->scan_at_us = now_us;
  m->have_scan = true;
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

static int mp_read(gcmon_source *src, uint64_t now_us, gcmon_sample *out) {
  mp_source *m = (mp_source *)src;
  gcmon_mp_request req = {.op = GCMON_MP_READ};
  int rc;

  req.full = scan_due(m, out, now_us);
  rc = call(m, &req);
  if (rc != 0)
    return rc;
  observe(m, &req.after);
  if (req.after.full)
    remember_scan(m, &req.after, now_us);

  out->uptime_us = now_us;
  out->has_gc = true;
  out->gc.mem_alloc = (int64_t)m->scan.used;
  /* Exactly gc.mem_free(): with a split heap that grows by itself, the
   * room it can still grow counts as free (py/modgc.c). */
  out->gc.mem_free = (int64_t)(m->scan.free + m->scan.grow_room);
  out->gc.largest_free = (int64_t)m->scan.largest_free;
  out->gc.threshold = req.after.threshold;
  out->gc.enabled = req.after.enabled;
  out->gc.collections = m->collections;
  read_sys(m, now_us, out);
  return 0;
}

static int mp_collect(gcmon_source *src, uint64_t now_us, int64_t *freed_bytes,
                      uint64_t *duration_us) {
  mp_source *m = (mp_source *)src;
  gcmon_mp_request req = {.op = GCMON_MP_COLLECT};
  int rc = call(m, &req);

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
  int rc = call(m, &req);

  if (rc == 0)
    observe(m, &req.after);
  return rc;
}

static int mp_set_enabled(gcmon_source *src, bool enabled) {
  mp_source *m = (mp_source *)src;
  gcmon_mp_request req = {.op = GCMON_MP_SET_ENABLED, .enabled = enabled};
  int rc = call(m, &req);

  if (rc == 0)
    observe(m, &req.after);
  return rc;
}

static void mp_close(gcmon_source *src) {
  free(src);
}

static const gcmon_source_ops mp_ops = {"micropython",  mp_read,
                                        mp_collect,     mp_set_threshold,
                                        mp_set_enabled, mp_close};

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
