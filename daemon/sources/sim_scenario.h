/* Sim scenarios: workloads with a known memory problem (ground truth), for
 * `gcmond --source sim --scenario NAME` and the diagnosis tests.
 *
 * Every scenario runs the same steady camera + AI pipeline (no idle phases,
 * so nothing moves unless the scenario makes it) and adds one problem:
 *
 *   steady         none
 *   gc-leak        the program keeps 20-32 KiB more gc objects each second
 *   mmz-leak       one 4 KiB MMZ block is not freed per 100 ms iteration
 *   page-leak      each 2 s script run leaves 512-1024 KiB of user pages mapped
 *   fragmentation  long-lived objects pinned across the heap: after every
 *                  collection more of the free space is holes (largest free
 *                  block falls, free stays flat)
 *   spikes         2-8 MiB MMZ and 256-1024 KiB kernel-heap allocations held
 *                  for one 10 ms tick, about three times a second
 *   pause-heavy    2.6-3 MiB of live objects and gc.collect() every 50 ms
 *                  frame (20 collections/s of ~2 ms each)
 *
 * docs/diagnose.md has the numbers each one encodes. Like the default
 * workload, every value is a function of (seed, step), so a seed gives the
 * same readings however often the source is read. */
#ifndef GCMON_SIM_SCENARIO_H
#define GCMON_SIM_SCENARIO_H

#include "sim_heap.h"

#include <stdint.h>

#define GCMON_SIM_KIB (1ull << 10)
#define GCMON_SIM_MIB (1ull << 20)

/* The board both workloads run on (source_sim.c says where the numbers come
 * from): pool sizes, and what is in use with no pipeline running. */
#define GCMON_SIM_GC_HEAP_BYTES   (4 * GCMON_SIM_MIB)
#define GCMON_SIM_SYS_TOTAL       (512 * GCMON_SIM_MIB)
#define GCMON_SIM_MMZ_TOTAL       (256 * GCMON_SIM_MIB)
#define GCMON_SIM_KHEAP_TOTAL     (32 * GCMON_SIM_MIB)
#define GCMON_SIM_PAGE_TOTAL      (214 * GCMON_SIM_MIB)
#define GCMON_SIM_PAGE_BYTES      4096ull
#define GCMON_SIM_MMZ_IDLE_USED   (20 * GCMON_SIM_MIB + 1536 * GCMON_SIM_KIB)
#define GCMON_SIM_KHEAP_IDLE_USED (9 * GCMON_SIM_MIB)
#define GCMON_SIM_PAGE_IDLE_USED  (38 * GCMON_SIM_MIB)

/* Purposes of random numbers (gcmon__sim_rand streams) of both workloads. */
enum {
  GCMON_SIM_STREAM_BOOT = 1,
  GCMON_SIM_STREAM_PHASE,
  GCMON_SIM_STREAM_STEP,
  GCMON_SIM_STREAM_COLLECT,
  GCMON_SIM_STREAM_KHEAP,
  GCMON_SIM_STREAM_PAGE,
  GCMON_SIM_STREAM_SCENARIO,
  GCMON_SIM_STREAM_SPIKE
};

typedef enum {
  GCMON_SIM_DEFAULT = 0, /* the idle/pipeline workload of source_sim.c */
  GCMON_SIM_STEADY,
  GCMON_SIM_GC_LEAK,
  GCMON_SIM_MMZ_LEAK,
  GCMON_SIM_PAGE_LEAK,
  GCMON_SIM_FRAGMENTATION,
  GCMON_SIM_SPIKES,
  GCMON_SIM_PAUSE_HEAVY
} gcmon__sim_kind;

typedef struct gcmon__sim_scenario {
  gcmon__sim_kind kind;
  uint64_t seed;
  uint64_t live_target;      /* gc blocks the program keeps reachable */
  uint64_t leak_per_s;       /* gc-leak: blocks a second; others: bytes */
  uint64_t mmz_used;         /* MMZ of the pipeline, without leaks */
  uint64_t osd_bytes;        /* display buffers (user pages follow them) */
  uint64_t seen_collections; /* fragmentation: last collection reshaped */
  bool program_collected;    /* the last step ended with gc.collect() */
} gcmon__sim_scenario;

/* The kind named (NULL or "" is the default workload); -1 if unknown. */
int gcmon__sim_scenario_kind(const char *name);

/* Names of the scenarios, NULL-terminated (for --help and errors). */
const char *const *gcmon__sim_scenario_names(void);

/* Set up kind for seed on a booted heap (what is live there is the REPL's),
 * and give the scenario's program its objects. The default kind leaves the
 * heap alone. */
void gcmon__sim_scenario_init(gcmon__sim_scenario *sc, gcmon__sim_kind kind,
                              uint64_t seed, gcmon__sim_heap *h);

/* One 10 ms step (number k, from 1) of the scenario's program. */
void gcmon__sim_scenario_step(gcmon__sim_scenario *sc, gcmon__sim_heap *h,
                              uint64_t k);

/* The system pools' used bytes at step k. */
void gcmon__sim_scenario_sys(const gcmon__sim_scenario *sc, uint64_t k,
                             uint64_t *kheap, uint64_t *page, uint64_t *mmz);

#endif
