/* The simulated MicroPython gc heap behind the `sim` source.
 *
 * A statistical model of a heap of 32-byte blocks (MICROPY_BYTES_PER_GC_BLOCK
 * is 4 words, 32 bytes on the K230's riscv64; micropython/micropython
 * py/mpconfig.h) that keeps no per-block state, only block counts:
 *
 *     total = live + garbage + tail + holes          (exact, always)
 *
 *   live     reachable objects
 *   garbage  allocated but unreachable: counted in mem_alloc until a
 *            collection sweeps it
 *   tail     the free run above the highest allocated block
 *   holes    free blocks between allocated ones; max_hole is the largest
 *            run. Part of them are slivers: runs too short for the
 *            program's usual objects, left over until the heap is nearly
 *            full (then one-block objects take them) or the next collection
 *
 * so mem_alloc = (live + garbage) * 32, mem_free = (tail + holes) * 32 and
 * largest_free = max(tail, max_hole) * 32 <= mem_free. Allocation follows
 * MicroPython's gc_alloc() (py/gc.c): with auto-collection enabled it first
 * collects if the blocks allocated since the last collection reached the
 * threshold, then looks for room and collects once more if there is none;
 * disabled, a failed allocation just fails (MemoryError in the program).
 * Small objects fill the usable holes first (first fit), which erodes the
 * largest hole down to a sliver; a large object needs one contiguous run. A
 * collection frees all garbage and leaves the surviving objects scattered: part
 * of the free space becomes holes between them (more the fuller the heap), the
 * rest the tail, so largest_free drops as the heap fragments and recovers after
 * a collection.
 *
 * All integer arithmetic: the same calls give the same numbers on every
 * machine. Randomness comes in as arguments (the caller's seeded stream). */
#ifndef GCMON_SIM_HEAP_H
#define GCMON_SIM_HEAP_H

#include "gcmon/sample.h"

#include <stdbool.h>
#include <stdint.h>

#define GCMON_SIM_BLOCK_BYTES 32

typedef struct gcmon__sim_heap {
  uint64_t total, live, garbage, tail, holes, max_hole; /* blocks */
  uint64_t slivers;       /* of holes: runs too short for most objects */
  uint64_t since_collect; /* blocks allocated since the last collection */
  int64_t threshold;      /* blocks (gc_alloc_threshold); -1 = none */
  bool enabled;           /* gc.isenabled() */
  uint64_t collections;   /* every collection, automatic and explicit */
  uint64_t seed;          /* randomness for the layout after a collection */
} gcmon__sim_heap;

/* Empty heap of total_blocks, auto-collection enabled, no threshold. */
void gcmon__sim_heap_init(gcmon__sim_heap *h, uint64_t total_blocks,
                          uint64_t seed);

/* Allocate n blocks of small objects (any free block will do). On running
 * out, the program keeps what fitted and stops (MemoryError). Returns the
 * blocks allocated; they are live until gcmon__sim_heap_drop(). */
uint64_t gcmon__sim_heap_alloc_small(gcmon__sim_heap *h, uint64_t n);

/* Allocate one object of n contiguous blocks; returns n or 0 on failure. */
uint64_t gcmon__sim_heap_alloc_large(gcmon__sim_heap *h, uint64_t n);

/* n live blocks become unreachable (at most all of them). */
void gcmon__sim_heap_drop(gcmon__sim_heap *h, uint64_t n);

/* A full collection; returns the blocks it freed. */
uint64_t gcmon__sim_heap_collect(gcmon__sim_heap *h);

/* How long the next collection would take, in microseconds; rnd adds the
 * run-to-run jitter of a real collection. */
uint64_t gcmon__sim_heap_collect_cost_us(const gcmon__sim_heap *h,
                                         uint64_t rnd);

/* gc.threshold(bytes): stored in whole blocks, negative = none. */
void gcmon__sim_heap_set_threshold(gcmon__sim_heap *h, int64_t bytes);

void gcmon__sim_heap_info(const gcmon__sim_heap *h, gcmon_gc_info *out);

/* splitmix64 of (seed, stream, n): the counter-based random numbers the sim
 * uses everywhere, so a value depends on what it is for and never on how
 * many values were drawn before it. */
uint64_t gcmon__sim_rand(uint64_t seed, uint64_t stream, uint64_t n);

#endif
