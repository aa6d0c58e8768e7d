/* The simulated MicroPython gc heap: block accounting, allocation that
 * follows gc_alloc(), collection and its cost. See sim_heap.h for the model;
 * everything here keeps total = live + garbage + tail + holes exact. */
#include "sim_heap.h"

/* Stream ids for gcmon__sim_rand(), private to this file. */
#define STREAM_LAYOUT 0x6c61796f7574ull /* "layout" */

/* The longest sliver, in blocks. */
#define SLIVER_MAX 8

uint64_t gcmon__sim_rand(uint64_t seed, uint64_t stream, uint64_t n) {
  uint64_t z = seed ^ (stream * 0xD1B54A32D192ED03ull);

  z += (n + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void gcmon__sim_heap_init(gcmon__sim_heap *h, uint64_t total_blocks,
                          uint64_t seed) {
  h->total = total_blocks;
  h->live = 0;
  h->garbage = 0;
  h->tail = total_blocks;
  h->holes = 0;
  h->max_hole = 0;
  h->slivers = 0;
  h->since_collect = 0;
  h->threshold = -1;
  h->enabled = true;
  h->collections = 0;
  h->seed = seed;
}

/* Keep max_hole within the usable holes, and at least the longest sliver. */
static void settle_max_hole(gcmon__sim_heap *h) {
  uint64_t usable = h->holes - h->slivers;
  uint64_t sliver = h->slivers < SLIVER_MAX ? h->slivers : SLIVER_MAX;

  if (h->max_hole > usable)
    h->max_hole = usable;
  if (h->max_hole < sliver)
    h->max_hole = sliver;
}

uint64_t gcmon__sim_heap_collect(gcmon__sim_heap *h) {
  uint64_t freed = h->garbage;
  uint64_t free_blocks = h->tail + h->holes + h->garbage;
  uint64_t r = gcmon__sim_rand(h->seed, STREAM_LAYOUT, h->collections);
  uint64_t live_pm = h->live * 1000 / h->total;
  /* Share of the free space left between survivors, per mille: about the
   * live fraction of the heap (survivors are spread over the part of the heap
   * the program has cycled through), +-20%. */
  uint64_t spread_pm = live_pm * (800 + r % 400) / 1000;
  /* The largest hole is 1/8 to 3/8 of all hole space, and 15-30% of it is
   * slivers. */
  uint64_t largest_pm = 125 + (r >> 16) % 250;
  uint64_t sliver_pm = 150 + (r >> 32) % 150;

  if (spread_pm > 900)
    spread_pm = 900;
  h->garbage = 0;
  h->holes = free_blocks * spread_pm / 1000;
  h->tail = free_blocks - h->holes;
  h->max_hole = h->holes * largest_pm / 1000;
  h->slivers = h->holes * sliver_pm / 1000;
  settle_max_hole(h);
  h->since_collect = 0;
  h->collections++;
  return freed;
}

/* gc_alloc()'s threshold rule: collect first when enabled and the blocks
 * allocated since the last collection reached the threshold. Returns whether
 * the allocation may still trigger a collection when it finds no room. */
static bool may_collect(gcmon__sim_heap *h) {
  if (!h->enabled)
    return false;
  if (h->threshold >= 0 && h->since_collect >= (uint64_t)h->threshold) {
    gcmon__sim_heap_collect(h);
    return false;
  }
  return true;
}

/* Place n small blocks: usable holes first, then the tail; with everything
 * (slivers included) when n is all the room there is. */
static void take_small(gcmon__sim_heap *h, uint64_t n) {
  uint64_t usable = h->holes - h->slivers;
  uint64_t from_holes = n < usable ? n : usable;
  /* First fit fills the lowest holes, not only the largest; charge the
   * largest hole with half of what went into holes. */
  uint64_t erosion = from_holes / 2;

  if (n == h->tail + h->holes) {
    h->holes = h->slivers = h->tail = h->max_hole = 0;
  } else {
    h->holes -= from_holes;
    h->max_hole = h->max_hole > erosion ? h->max_hole - erosion : 0;
    h->tail -= n - from_holes;
    settle_max_hole(h);
  }
  h->live += n;
  h->since_collect += n;
}

uint64_t gcmon__sim_heap_alloc_small(gcmon__sim_heap *h, uint64_t n) {
  bool can_collect;
  uint64_t room;

  if (n == 0)
    return 0;
  can_collect = may_collect(h);
  for (;;) {
    if (h->tail + h->holes - h->slivers >= n) {
      take_small(h, n);
      return n;
    }
    if (!can_collect)
      break;
    gcmon__sim_heap_collect(h);
    can_collect = false;
  }
  room = h->tail + h->holes;
  take_small(h, room);
  return room;
}

uint64_t gcmon__sim_heap_alloc_large(gcmon__sim_heap *h, uint64_t n) {
  bool can_collect;

  if (n == 0)
    return 0;
  can_collect = may_collect(h);
  for (;;) {
    if (h->max_hole >= n && h->holes - h->slivers >= n) {
      h->holes -= n;
      h->max_hole -= n;
      settle_max_hole(h);
      break;
    }
    if (h->tail >= n) {
      h->tail -= n;
      break;
    }
    if (!can_collect)
      return 0;
    gcmon__sim_heap_collect(h);
    can_collect = false;
  }
  h->live += n;
  h->since_collect += n;
  return n;
}

void gcmon__sim_heap_drop(gcmon__sim_heap *h, uint64_t n) {
  if (n > h->live)
    n = h->live;
  h->live -= n;
  h->garbage += n;
}

/* Assumption, not a measurement: on the K230's C908 (1.6 GHz) MicroPython's
 * collector costs a fixed ~150 us (roots, stacks), a sweep of the allocation
 * table of ~4 ns per block (~0.5 ms for 4 MiB), marking of ~0.45 us per live
 * KiB and freeing of ~0.1 us per garbage KiB: 1-3 ms for a 4 MiB heap
 * depending on how much of it is in use, +-5% run to run. */
uint64_t gcmon__sim_heap_collect_cost_us(const gcmon__sim_heap *h,
                                         uint64_t rnd) {
  uint64_t live_kib = h->live * GCMON_SIM_BLOCK_BYTES / 1024;
  uint64_t garbage_kib = h->garbage * GCMON_SIM_BLOCK_BYTES / 1024;
  uint64_t us = 150 + h->total / 256 + live_kib * 45 / 100 + garbage_kib / 10;

  return us * (950 + rnd % 101) / 1000;
}

void gcmon__sim_heap_set_threshold(gcmon__sim_heap *h, int64_t bytes) {
  h->threshold = bytes < 0 ? -1 : bytes / GCMON_SIM_BLOCK_BYTES;
}

void gcmon__sim_heap_info(const gcmon__sim_heap *h, gcmon_gc_info *out) {
  uint64_t largest = h->tail > h->max_hole ? h->tail : h->max_hole;

  out->mem_alloc = (int64_t)((h->live + h->garbage) * GCMON_SIM_BLOCK_BYTES);
  out->mem_free = (int64_t)((h->tail + h->holes) * GCMON_SIM_BLOCK_BYTES);
  out->threshold = h->threshold < 0 ? -1 : h->threshold * GCMON_SIM_BLOCK_BYTES;
  out->enabled = h->enabled;
  out->collections = h->collections;
  out->largest_free = (int64_t)(largest * GCMON_SIM_BLOCK_BYTES);
}
