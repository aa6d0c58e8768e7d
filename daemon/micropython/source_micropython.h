/* The `micropython` source: the gc heap of the MicroPython VM this module
 * runs in, read and controlled through the mailbox (mailbox.h) by the VM
 * worker thread. It is the gcmon_source the module's agent reads; it is not
 * in the gcmond registry (source.c) because it needs a running VM.
 *
 * Readings. An on-demand reading (out->seq == 0: get_sample, and the
 * reading after collect/threshold/enable) always scans the heap, so its
 * mem_alloc/mem_free equal gc.mem_alloc()/gc.mem_free() at that moment. A
 * series reading scans at most once per scan_ms; in between it refreshes
 * only the cheap counters (threshold, enabled, collections) and repeats the
 * last scan's mem_alloc, mem_free and largest_free. scan_ms 0 scans every
 * time.
 *
 * Collections are counted from what the readings show: the module's own
 * exactly, others (gc.collect(), automatic ones) when gc_alloc_amount went
 * down or gc_collected changed since the previous reading. Two collections
 * between readings count as one, so the figure is a lower bound, exact
 * when collections are rarer than readings, or when the VM times every
 * collection (take_collections: the gc_collect() wrap, gc_hook.h): each
 * one it hands over, or could not keep, counts unless a reading already
 * counted it.
 *
 * When Python keeps the GIL (a long C call, time.sleep_ms on unix) the
 * loop must not stall with it. So a READ that T2 has not served in time
 * stays posted, and while it does the VM counts as busy:
 *   - series readings return at once, without the gc fields (has_gc
 *     false) but with everything else (sys_* counters), so samples,
 *     history and the link keep flowing; a series reading waits for the VM
 *     at most GCMON_MP_SERIES_WAIT_MS, and only when no READ is pending;
 *   - a VM-bound call (on-demand reading, collect, threshold, enable)
 *     waits at most call_timeout_ms counted from when the VM was first
 *     kept waiting, so the first one answers GCMON_EBUSY after
 *     call_timeout_ms and the ones after it at once: the waits do not add
 *     up. A control op that timed out before T2 claimed it is withdrawn
 *     (it never runs late); a READ is left posted in its place, and when
 *     T2 serves it the VM is no longer busy.
 *
 * Threads: called only from the loop thread (T1), like every source. */
#ifndef GCMON_MP_SOURCE_H
#define GCMON_MP_SOURCE_H

#include "mailbox.h"
#include "source.h"

#include <stddef.h>

#define GCMON_MP_DEFAULT_CALL_TIMEOUT_MS 2000u
#define GCMON_MP_DEFAULT_SCAN_MS         1000u
#define GCMON_MP_SERIES_WAIT_MS          100u

typedef struct gcmon_mp_source_config {
  gcmon_mp_mailbox *mailbox; /* borrowed; T2 serves it */
  unsigned call_timeout_ms;  /* per request; 0 = default */
  unsigned scan_ms;          /* series scan period; 0 = every reading */
  gcmon_source *sys;         /* optional, borrowed: sys_* counters come from
                                here (the k230 source on CanMV) */
  const char *device_id;     /* e.g. "micropython/unix" */
} gcmon_mp_source_config;

/* Allocates the source (libc heap). 0, or GCMON_EINVAL / GCMON_ENOMEM with
 * a line in err. */
int gcmon_mp_source_open(gcmon_source **out, const gcmon_mp_source_config *cfg,
                         char *err, size_t errlen);

#endif
