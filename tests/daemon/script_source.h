/* A scripted memory source for agent tests: behind the same ops seam as
 * the real sources (source.h), it returns whatever the test set for the
 * next reading, so spikes, crossings and collections land on known ticks.
 *
 *     script *src = script_new(true);        // gc heap + MMZ
 *     driver_init_source(&d, &cfg, &src->base);
 *     script_set_gc_free(src, 512 * KIB);    // the next tick reads this
 *     driver_tick(&d, 10);
 *
 * collect frees collect_frees bytes and takes 1.8 ms; collections queued in
 * pending are handed to the agent by take_collections; any other jump of
 * next.gc.collections is one the agent records as AUTOMATIC. */
#ifndef GCMON_TEST_SCRIPT_SOURCE_H
#define GCMON_TEST_SCRIPT_SOURCE_H

#include "source.h"

#define KIB 1024
#define MIB (1024 * 1024)

typedef struct {
  gcmon_source base;
  gcmon_sample next; /* what the next read returns (seq, uptime set) */
  gcmon_source_collection pending[8];
  size_t n_pending;
  int64_t collect_frees; /* a remote collect frees this much */
} script;

/* with_gc: a 4 MiB gc heap (1 MiB used) and MMZ, with collect and
 * take_collections; else MMZ only and no control ops, as linux and k230.
 * Closed (freed) through its ops, by driver_close. */
script *script_new(bool with_gc);

/* The gc heap's free bytes at the next reading (used = 4 MiB - free). */
void script_set_gc_free(script *s, int64_t free);

#endif
