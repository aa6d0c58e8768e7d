/* The sim's scenarios (sim_scenario.h): the steady pipeline they share and
 * the one problem each adds. Ground truth, in numbers, is in
 * docs/diagnose.md; keep the two in step. */
#include "sim_scenario.h"

#include <stddef.h>
#include <string.h>

#define KIB           GCMON_SIM_KIB
#define MIB           GCMON_SIM_MIB
#define BLOCKS(bytes) ((bytes) / GCMON_SIM_BLOCK_BYTES)

#define STEPS_PER_S 100ull

/* mmz-leak: one program iteration (a frame) every 100 ms leaks 4 KiB. */
#define MMZ_ITER_STEPS    10ull
#define MMZ_LEAK_BYTES    (4 * KIB)
/* page-leak: the script runs again every 2 s. */
#define PAGE_RUN_STEPS    200ull
/* pause-heavy: gc.collect() at the end of every 50 ms frame. */
#define PAUSE_FRAME_STEPS 5ull
/* gc-leak restarts the script before the heap is this full (per mille). */
#define GC_LEAK_CAP_PM    850ull
/* fragmentation: holes' share of the free space after a collection, per
 * mille: 250 at start, +35 a second, at most 900. */
#define FRAG_START_PM     250ull
#define FRAG_PM_PER_S     35ull
#define FRAG_MAX_PM       900ull
#define FRAG_MAX_HOLE     BLOCKS(2 * KIB)
/* spikes: a spike starts at a step with probability 1/SPIKE_ODDS per pool. */
#define SPIKE_ODDS        30ull

static const char *const names[] = {
    "steady",        "gc-leak", "mmz-leak",    "page-leak",
    "fragmentation", "spikes",  "pause-heavy", NULL};

const char *const *gcmon__sim_scenario_names(void) {
  return names;
}

int gcmon__sim_scenario_kind(const char *name) {
  if (name == NULL || *name == '\0')
    return GCMON_SIM_DEFAULT;
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0)
      return GCMON_SIM_STEADY + i;
  return -1;
}

static uint64_t rnd(const gcmon__sim_scenario *sc, uint64_t stream,
                    uint64_t n) {
  return gcmon__sim_rand(sc->seed, stream, n);
}

void gcmon__sim_scenario_init(gcmon__sim_scenario *sc, gcmon__sim_kind kind,
                              uint64_t seed, gcmon__sim_heap *h) {
  uint64_t base_live = h->live;
  uint64_t r, r2;

  memset(sc, 0, sizeof *sc);
  sc->kind = kind;
  sc->seed = seed;
  r = rnd(sc, GCMON_SIM_STREAM_SCENARIO, 0);
  r2 = rnd(sc, GCMON_SIM_STREAM_SCENARIO, 1);
  /* The pipeline of source_sim.c, running from boot and never stopping. */
  sc->live_target = base_live + BLOCKS((400 + (r >> 24) % 500) * KIB);
  sc->mmz_used = GCMON_SIM_MMZ_IDLE_USED + (24 + r2 % 17) * MIB +
                 (8 + (r2 >> 16) % 17) * MIB + (2 + (r2 >> 32) % 7) * MIB;
  sc->osd_bytes = (2 + (r2 >> 32) % 7) * MIB;
  switch (kind) {
  case GCMON_SIM_GC_LEAK:
    sc->leak_per_s = BLOCKS((20 + r % 13) * KIB);
    break;
  case GCMON_SIM_PAGE_LEAK:
    sc->leak_per_s = (512 + (r >> 8) % 513) * KIB / GCMON_SIM_PAGE_BYTES *
                     GCMON_SIM_PAGE_BYTES; /* per run here */
    break;
  case GCMON_SIM_PAUSE_HEAVY:
    sc->live_target = BLOCKS((2662 + (r >> 40) % 410) * KIB);
    break;
  default:
    break;
  }
  /* The script has been running a while: its objects are in place. */
  if (kind != GCMON_SIM_DEFAULT && sc->live_target > h->live)
    gcmon__sim_heap_alloc_small(h, sc->live_target - h->live);
}

/* fragmentation: the collection just done left the survivors scattered over
 * more of the heap than the last one did. */
static void fragment(gcmon__sim_scenario *sc, gcmon__sim_heap *h, uint64_t k) {
  uint64_t free_blocks = h->tail + h->holes;
  uint64_t pm = FRAG_START_PM + FRAG_PM_PER_S * k / STEPS_PER_S;
  uint64_t usable;

  if (pm > FRAG_MAX_PM)
    pm = FRAG_MAX_PM;
  h->holes = free_blocks * pm / 1000;
  h->tail = free_blocks - h->holes;
  h->slivers = h->holes * 3 / 10;
  usable = h->holes - h->slivers;
  h->max_hole = usable < FRAG_MAX_HOLE ? usable : FRAG_MAX_HOLE;
  sc->seen_collections = h->collections;
}

/* What the program keeps reachable at step k. */
static uint64_t live_target(const gcmon__sim_scenario *sc,
                            const gcmon__sim_heap *h, uint64_t k) {
  uint64_t cap, grown;

  if (sc->kind != GCMON_SIM_GC_LEAK)
    return sc->live_target;
  cap = h->total * GC_LEAK_CAP_PM / 1000;
  grown = sc->leak_per_s * k / STEPS_PER_S;
  if (sc->live_target < cap)
    grown %= cap - sc->live_target; /* the script is restarted */
  return sc->live_target + grown;
}

void gcmon__sim_scenario_step(gcmon__sim_scenario *sc, gcmon__sim_heap *h,
                              uint64_t k) {
  uint64_t r = rnd(sc, GCMON_SIM_STREAM_STEP, k);
  uint64_t target = live_target(sc, h, k);
  uint64_t want = 300 + r % 220, keep = 0, large = 0, got;

  if ((r >> 20) % 4 == 0)
    large = 64 + (r >> 24) % 960;
  if (h->live < target)
    keep = (target - h->live) / 40 + 1;
  got = gcmon__sim_heap_alloc_small(h, want);
  if (keep > got)
    keep = got;
  gcmon__sim_heap_drop(h, got - keep);
  if (h->live > target)
    gcmon__sim_heap_drop(h, (h->live - target) / 100 + 1);
  if (large != 0)
    gcmon__sim_heap_drop(h, gcmon__sim_heap_alloc_large(h, large));
  sc->program_collected =
      sc->kind == GCMON_SIM_PAUSE_HEAVY && k % PAUSE_FRAME_STEPS == 0;
  if (sc->program_collected)
    gcmon__sim_heap_collect(h);
  if (sc->kind == GCMON_SIM_FRAGMENTATION &&
      h->collections != sc->seen_collections)
    fragment(sc, h, k);
}

/* A spike of [lo, lo + span) bytes (page multiples) at step k, else 0. */
static uint64_t spike(const gcmon__sim_scenario *sc, uint64_t pool, uint64_t k,
                      uint64_t lo, uint64_t span) {
  uint64_t r = rnd(sc, GCMON_SIM_STREAM_SPIKE + pool * 16, k);

  if (sc->kind != GCMON_SIM_SPIKES || r % SPIKE_ODDS != 0)
    return 0;
  return (lo + (r >> 16) % span) / GCMON_SIM_PAGE_BYTES * GCMON_SIM_PAGE_BYTES;
}

/* A leak that would fill its pool ends with the program restarted: used
 * starts again from base. */
static uint64_t restart_before_full(uint64_t used, uint64_t base,
                                    uint64_t total) {
  uint64_t cap = total / 10 * 9;

  if (used <= cap || base >= cap)
    return used;
  return base + (used - base) % (cap - base);
}

void gcmon__sim_scenario_sys(const gcmon__sim_scenario *sc, uint64_t k,
                             uint64_t *kheap, uint64_t *page, uint64_t *mmz) {
  uint64_t second = k / STEPS_PER_S;

  *kheap = GCMON_SIM_KHEAP_IDLE_USED + 3 * MIB +
           rnd(sc, GCMON_SIM_STREAM_KHEAP, second) % (512 * KIB) / 64 * 64 +
           spike(sc, 1, k, 256 * KIB, 768 * KIB);
  *page = GCMON_SIM_PAGE_IDLE_USED + 16 * MIB + 2 * sc->osd_bytes +
          rnd(sc, GCMON_SIM_STREAM_PAGE, second) % (2 * MIB) /
              GCMON_SIM_PAGE_BYTES * GCMON_SIM_PAGE_BYTES;
  *mmz = sc->mmz_used + spike(sc, 2, k, 2 * MIB, 6 * MIB);
  if (sc->kind == GCMON_SIM_MMZ_LEAK)
    *mmz += k / MMZ_ITER_STEPS * MMZ_LEAK_BYTES;
  if (sc->kind == GCMON_SIM_PAGE_LEAK)
    *page += k / PAGE_RUN_STEPS * sc->leak_per_s;
  *mmz = restart_before_full(*mmz, sc->mmz_used, GCMON_SIM_MMZ_TOTAL);
  *page = restart_before_full(*page, GCMON_SIM_PAGE_IDLE_USED + 24 * MIB,
                              GCMON_SIM_PAGE_TOTAL);
}
